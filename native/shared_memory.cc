// Shared memory between processes, and waiting on it: the two things a cross-process Lock needs
// that Node lacks (src/shared-memory.ts says how they are used; native/README.md why).
//
//   create(size)                 -> { buffer, fd, ino }  a fresh memfd of `size` bytes, mapped
//   attach(path, size, ino)      -> { buffer, fd }       open and map one a parent passed on
//   wait(buffer, offset, expected, timeoutMs) -> Promise<'woken' | 'timeout' | 'changed'>
//   waitBriefly(buffer, offset, expected, timeoutMs) -> the same outcome, on the calling thread (<= 10 ms)
//   wake(buffer, offset, count)  -> number of waiters woken
//
// `buffer` is an ArrayBuffer over the mapping itself, so JavaScript reads and writes the shared
// bytes directly and takes an uncontended lock with one Atomics.compareExchange, no call into C.
// Only waiting needs the kernel: FUTEX_WAIT (the shared, not the process-private, form) blocks a
// thread of its own, one per pending wait, so the event loop never blocks; the result comes back
// through a thread-safe function, which also keeps the event loop alive while the wait is pending,
// as a pending timer would. The mapping and its file descriptor live as long as the ArrayBuffer:
// its finalizer unmaps and closes, and the kernel frees the memory when the last process lets go.
#include <node_api.h>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <string>
#include <thread>

#include <fcntl.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace {

struct Mapping {
  void* address;
  size_t size;
  int fd;
};

void FreeMapping(napi_env, void*, void* hint) {
  Mapping* mapping = static_cast<Mapping*>(hint);
  munmap(mapping->address, mapping->size);
  close(mapping->fd);
  delete mapping;
}

napi_value Throw(napi_env env, const char* code, const std::string& message) {
  napi_throw_error(env, code, message.c_str());
  return nullptr;
}

napi_value ThrowErrno(napi_env env, const std::string& what, int error) {
  return Throw(env, "ERR_MP_SHARED_MEMORY", what + ": " + std::strerror(error));
}

bool GetArgs(napi_env env, napi_callback_info info, size_t expected, napi_value* argv) {
  size_t argc = expected;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < expected) {
    Throw(env, "ERR_MP_SHARED_MEMORY", "missing arguments");
    return false;
  }
  return true;
}

// { buffer, fd, ino }: the mapping as an external ArrayBuffer whose finalizer unmaps it.
napi_value Wrap(napi_env env, int fd, size_t size) {
  struct stat status;
  if (fstat(fd, &status) != 0) {
    int error = errno;
    close(fd);
    return ThrowErrno(env, "fstat", error);
  }
  void* address = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (address == MAP_FAILED) {
    int error = errno;
    close(fd);
    return ThrowErrno(env, "mmap", error);
  }
  Mapping* mapping = new Mapping{address, size, fd};
  napi_value buffer, result, fd_value, ino_value;
  if (napi_create_external_arraybuffer(env, address, size, FreeMapping, mapping, &buffer) != napi_ok) {
    FreeMapping(env, nullptr, mapping);
    return Throw(env, "ERR_MP_SHARED_MEMORY", "cannot wrap the mapping in an ArrayBuffer");
  }
  napi_create_object(env, &result);
  napi_create_int32(env, fd, &fd_value);
  napi_create_double(env, static_cast<double>(status.st_ino), &ino_value);
  napi_set_named_property(env, result, "buffer", buffer);
  napi_set_named_property(env, result, "fd", fd_value);
  napi_set_named_property(env, result, "ino", ino_value);
  return result;
}

napi_value Create(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!GetArgs(env, info, 1, argv)) return nullptr;
  uint32_t size;
  if (napi_get_value_uint32(env, argv[0], &size) != napi_ok || size == 0) {
    return Throw(env, "ERR_MP_SHARED_MEMORY", "size must be a positive integer");
  }
  // Anonymous: no name to guess or to leave behind. Others reach it only through
  // /proc/<pid>/fd/<fd> of a process holding it, which the kernel allows to the same user only.
  int fd = static_cast<int>(syscall(SYS_memfd_create, "mp-kit-shared", MFD_CLOEXEC));
  if (fd < 0) return ThrowErrno(env, "memfd_create", errno);
  if (fchmod(fd, 0600) != 0 || ftruncate(fd, size) != 0) {
    int error = errno;
    close(fd);
    return ThrowErrno(env, "memfd setup", error);
  }
  return Wrap(env, fd, size);
}

napi_value Attach(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!GetArgs(env, info, 3, argv)) return nullptr;
  char path[256];
  size_t length;
  uint32_t size;
  double ino;
  if (napi_get_value_string_utf8(env, argv[0], path, sizeof path, &length) != napi_ok ||
      napi_get_value_uint32(env, argv[1], &size) != napi_ok || napi_get_value_double(env, argv[2], &ino) != napi_ok) {
    return Throw(env, "ERR_MP_SHARED_MEMORY", "attach(path, size, ino) takes a string and two numbers");
  }
  int fd = open(path, O_RDWR | O_CLOEXEC);
  if (fd < 0) return ThrowErrno(env, std::string("open ") + path, errno);
  struct stat status;
  if (fstat(fd, &status) != 0 || static_cast<double>(status.st_ino) != ino ||
      status.st_size != static_cast<off_t>(size)) {
    close(fd);
    return Throw(env, "ERR_MP_SHARED_MEMORY", std::string(path) + " is not the shared object that was passed");
  }
  return Wrap(env, fd, size);
}

// The 32-bit word at `offset` of `buffer`, checked: aligned and inside the mapping.
bool WordAt(napi_env env, napi_value buffer_value, napi_value offset_value, uint32_t** word) {
  void* data;
  size_t length;
  uint32_t offset;
  if (napi_get_arraybuffer_info(env, buffer_value, &data, &length) != napi_ok ||
      napi_get_value_uint32(env, offset_value, &offset) != napi_ok || offset % 4 != 0 || offset + 4 > length) {
    Throw(env, "ERR_MP_SHARED_MEMORY", "expected an ArrayBuffer and an aligned offset inside it");
    return false;
  }
  *word = reinterpret_cast<uint32_t*>(static_cast<char*>(data) + offset);
  return true;
}

long Futex(uint32_t* word, int op, uint32_t value, const struct timespec* timeout) {
  return syscall(SYS_futex, word, op, value, timeout, nullptr, 0);
}

// What a FUTEX_WAIT's return says: woken (or a signal: the caller re-checks), timed out, or the
// word no longer held the expected value.
const char* OutcomeOf(long result, int error) {
  return result == 0 ? "woken" : error == ETIMEDOUT ? "timeout" : error == EAGAIN ? "changed" : "woken";
}

// The arguments of both waits: (buffer, offset, expected, timeoutMs).
bool WaitArgs(napi_env env, napi_callback_info info, napi_value* argv, uint32_t** word, uint32_t* expected, double* timeout_ms) {
  if (!GetArgs(env, info, 4, argv) || !WordAt(env, argv[0], argv[1], word)) return false;
  if (napi_get_value_uint32(env, argv[2], expected) != napi_ok || napi_get_value_double(env, argv[3], timeout_ms) != napi_ok) {
    Throw(env, "ERR_MP_SHARED_MEMORY", "a wait takes (buffer, offset, expected, timeoutMs)");
    return false;
  }
  return true;
}

struct Wait {
  napi_deferred deferred;
  napi_ref buffer;  // keeps the mapping alive while the thread sleeps on it
  napi_threadsafe_function done;
  uint32_t* word;
  uint32_t expected;
  double timeout_ms;  // < 0: no timeout
  const char* outcome;
};

void Settle(napi_env env, napi_value, void*, void* data) {
  Wait* wait = static_cast<Wait*>(data);
  napi_value outcome;
  napi_create_string_utf8(env, wait->outcome, NAPI_AUTO_LENGTH, &outcome);
  napi_resolve_deferred(env, wait->deferred, outcome);
  napi_delete_reference(env, wait->buffer);
  napi_release_threadsafe_function(wait->done, napi_tsfn_release);
  delete wait;
}

void Sleep(Wait* wait) {
  struct timespec timeout;
  struct timespec* limit = nullptr;
  if (wait->timeout_ms >= 0) {
    double ms = wait->timeout_ms;
    timeout.tv_sec = static_cast<time_t>(ms / 1000);
    timeout.tv_nsec = static_cast<long>((ms - timeout.tv_sec * 1000.0) * 1e6);
    limit = &timeout;
  }
  // Relative timeout on CLOCK_MONOTONIC. EINTR (a signal) counts as a wake: the caller re-checks.
  long result = Futex(wait->word, FUTEX_WAIT, wait->expected, limit);
  wait->outcome = OutcomeOf(result, errno);
  napi_call_threadsafe_function(wait->done, wait, napi_tsfn_blocking);
}

napi_value StartWait(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  uint32_t* word;
  uint32_t expected;
  double timeout_ms;
  if (!WaitArgs(env, info, argv, &word, &expected, &timeout_ms)) return nullptr;
  Wait* wait = new Wait{nullptr, nullptr, nullptr, word, expected, timeout_ms, "woken"};
  napi_value promise, name;
  napi_create_promise(env, &wait->deferred, &promise);
  napi_create_reference(env, argv[0], 1, &wait->buffer);
  napi_create_string_utf8(env, "mp-kit futex wait", NAPI_AUTO_LENGTH, &name);
  napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, nullptr, nullptr, nullptr, Settle, &wait->done);
  std::thread(Sleep, wait).detach();
  return promise;
}

// A short wait on the calling (main) thread: a hand-off between running processes comes back in
// microseconds, quicker than a waiter thread and a hop through the event loop; the caller bounds it
// (a fraction of a millisecond), then waits asynchronously if nothing came.
napi_value WaitBriefly(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  uint32_t* word;
  uint32_t expected;
  double timeout_ms;
  if (!WaitArgs(env, info, argv, &word, &expected, &timeout_ms)) return nullptr;
  if (timeout_ms < 0 || timeout_ms > 10) return Throw(env, "ERR_MP_SHARED_MEMORY", "waitBriefly() waits 0 to 10 ms");
  struct timespec timeout;
  timeout.tv_sec = 0;
  timeout.tv_nsec = static_cast<long>(timeout_ms * 1e6);
  long result = Futex(word, FUTEX_WAIT, expected, &timeout);
  napi_value value;
  napi_create_string_utf8(env, OutcomeOf(result, errno), NAPI_AUTO_LENGTH, &value);
  return value;
}

napi_value Wake(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!GetArgs(env, info, 3, argv)) return nullptr;
  uint32_t* word;
  if (!WordAt(env, argv[0], argv[1], &word)) return nullptr;
  int32_t count;
  napi_get_value_int32(env, argv[2], &count);
  long woken = Futex(word, FUTEX_WAKE, count <= 0 ? INT_MAX : static_cast<uint32_t>(count), nullptr);
  napi_value result;
  napi_create_int32(env, woken < 0 ? 0 : static_cast<int32_t>(woken), &result);
  return result;
}

napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor members[] = {
      {"create", nullptr, Create, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"attach", nullptr, Attach, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"wait", nullptr, StartWait, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"wake", nullptr, Wake, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"waitBriefly", nullptr, WaitBriefly, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  napi_define_properties(env, exports, sizeof members / sizeof members[0], members);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
