# The one native part of the library: shared memory and the kernel's futex wait/wake, which Node
# does not offer across processes (native/README.md). Built by `npm ci` with node-gyp from Node's
# local headers; nothing is downloaded.
{
  "targets": [
    {
      "target_name": "mp_shared_memory",
      "sources": ["native/shared_memory.cc"],
      "cflags": ["-O2", "-Wall", "-Wextra"],
      "cflags_cc": ["-std=c++17"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
