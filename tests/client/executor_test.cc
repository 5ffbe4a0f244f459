// The client's event loop, driven from threads it does not own (the transport's
// thread delivers answers by posting to it). Run under ThreadSanitizer too.
#include "client/executor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <thread>

namespace idem::internal {
namespace {

// The task a foreign thread posts may be the last thing the executor's owner
// waits for: once it ran, the owner destroys the executor. Post must not touch
// the executor after the task is visible to a worker (CI's TSan saw Post
// signal a condition variable that the owner had just destroyed).
TEST(ExecutorTest, ATaskPostedFromAForeignThreadMayEndTheExecutorsLife) {
  for (int round = 0; round < 300; ++round) {
    auto executor = std::make_unique<Executor>(1);
    std::promise<void> ran;
    std::future<void> ran_future = ran.get_future();
    std::thread foreign([&] { executor->Post([&ran] { ran.set_value(); }); });
    ran_future.wait();
    executor.reset();
    foreign.join();
  }
}

TEST(ExecutorTest, ATimerPostedFromAForeignThreadMayEndTheExecutorsLife) {
  for (int round = 0; round < 300; ++round) {
    auto executor = std::make_unique<Executor>(1);
    executor->ExpireTimers();  // every timer is due at once
    std::promise<void> ran;
    std::future<void> ran_future = ran.get_future();
    std::thread foreign(
        [&] { executor->PostAfter(std::chrono::milliseconds(50), [&ran] { ran.set_value(); }); });
    ran_future.wait();
    executor.reset();
    foreign.join();
  }
}

TEST(ExecutorTest, ShutdownRunsWhatIsQueuedAndDropsWhatComesAfter) {
  std::atomic<int> ran{0};
  Executor executor(2);
  for (int i = 0; i < 100; ++i) executor.Post([&ran] { ++ran; });
  executor.Shutdown();
  EXPECT_EQ(ran.load(), 100);
  executor.Post([&ran] { ++ran; });
  executor.Shutdown();  // idempotent
  EXPECT_EQ(ran.load(), 100);
}

}  // namespace
}  // namespace idem::internal
