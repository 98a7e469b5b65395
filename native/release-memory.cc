/*
 * Tessera's two calls that Node.js does not offer, both giving memory the process no longer uses back
 * to the kernel:
 *
 * trim(): glibc's malloc_trim(0), which hands the free pages inside glibc's heap arenas back. Memory
 * that Node's own C++ side, V8's parser and compiler, SQLite and OpenSSL malloc() and free() again
 * stays mapped in the process otherwise: free() gives back only the top of an arena, and a freed page
 * between two live allocations stays in the process's resident size until something reuses it.
 * Measured on a fresh start: 6 MiB of the resident size was such pages; after a burst of sends, 10 MiB.
 * Returns whether anything was released; on a C library other than glibc (musl, say) there is nothing
 * to call and it returns false.
 *
 * compactHeap(): V8's low-memory notification: full collections that compact every page of the
 * JavaScript heap, shrink the young generation to its smallest and release the pages V8 keeps pooled
 * for reuse. A collection Node can ask for (global.gc with --expose-gc) does none of the last three:
 * after loading ~600 modules the heap holds ~9 MiB of such pages, which V8's memory reducer gives back
 * only after the process has been idle for tens of seconds. Blocks for the collections (20-70 ms
 * after start on the test VM), so it is for moments when nothing else is running.
 *
 * reduceHeap(): V8's moderate memory-pressure notification: it starts an incremental collection that
 * reduces memory (marking in steps between the program's own work, no long pause) and, when it ends,
 * shrinks the young generation to its smallest. For a server gone quiet after work that grew it.
 *
 * A Node.js addon against V8's own API (LowMemoryNotification has no Node-API equivalent), so it loads
 * only in the Node.js version it was built for; memory-trimmer.ts treats a failed load as "not built".
 */
#include <node.h>
#include <v8.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace {

void Trim(const v8::FunctionCallbackInfo<v8::Value>& info) {
  int released = 0;
#if defined(__GLIBC__)
  released = malloc_trim(0);
#endif
  info.GetReturnValue().Set(released != 0);
}

void CompactHeap(const v8::FunctionCallbackInfo<v8::Value>& info) {
  info.GetIsolate()->LowMemoryNotification();
}

void ReduceHeap(const v8::FunctionCallbackInfo<v8::Value>& info) {
  info.GetIsolate()->MemoryPressureNotification(v8::MemoryPressureLevel::kModerate);
}

}  // namespace

// Context-aware, so that worker threads may load it too.
NODE_MODULE_INIT() {
  NODE_SET_METHOD(exports, "trim", Trim);
  NODE_SET_METHOD(exports, "compactHeap", CompactHeap);
  NODE_SET_METHOD(exports, "reduceHeap", ReduceHeap);
}
