// RunShellCommand (the receiver's --exec): the command gets the event on
// stdin, and no descriptor of ours beyond stdin, stdout and stderr.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "idem/webhook_receiver.h"

namespace idem {
namespace {

using std::chrono::seconds;

// Issue 16, item 5: --exec children inherited the listening socket.
TEST(RunShellCommand, TheCommandInheritsNoDescriptorButTheStandardThree) {
  // A listening socket and a file opened without O_CLOEXEC, as a library
  // (Asio, libpq) may leave them, moved to known numbers.
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 1), 0);
  ASSERT_EQ(::dup2(listener, 57), 57);
  const int file = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(file, 0);
  ASSERT_EQ(::dup2(file, 58), 58);

  // The shell's own descriptors (`test` is a builtin, so /proc/self is sh).
  EXPECT_TRUE(
      RunShellCommand("test ! -e /proc/self/fd/57 && test ! -e /proc/self/fd/58", "", seconds(10)));
  // The standard three are there, and stdin carries the event.
  EXPECT_TRUE(
      RunShellCommand("test -e /proc/self/fd/2 && test \"$(cat)\" = event", "event", seconds(10)));
  for (int fd : {listener, 57, file, 58}) ::close(fd);
}

}  // namespace
}  // namespace idem
