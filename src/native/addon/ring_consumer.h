// Delivers one BPF ring buffer map to a JS callback on the JS thread that opened it.
// Wake-ups come from a uv_poll on ring_buffer__epoll_fd (mode poll) or a uv timer
// (mode periodic, for BPF_RB_NO_WAKEUP producers). Each wake-up consumes a batch and
// makes ONE JS call with an array of Buffers (one per record).
//
// Lifetime: created by Open(); Close() stops the handle, frees the libbpf ring and the
// JS reference at once, and the struct itself is deleted in the uv close callback (libuv
// needs the handle memory until then). Nothing here lets a C++ exception reach libuv.
#pragma once
#include <bpf/libbpf.h>
#include <node_api.h>
#include <uv.h>

#include <cstdint>
#include <string>

namespace autotracer {

class RingConsumer {
 public:
  // Returns nullptr and sets *err (positive errno) and *what on failure.
  static RingConsumer* Open(napi_env env, int mapFd, napi_value callback, bool periodic, uint32_t periodMs,
                            int* err, std::string* what);

  // Consumes what is available and calls the JS callback once (if any record came).
  // fromJs: called by ring.consume() inside a JS frame, so a throwing callback throws
  // back to that caller; otherwise (uv callback) it becomes an uncaught exception.
  // Returns the number of records delivered, or -errno.
  int ConsumeAndDeliver(bool fromJs);

  // Idempotent. Safe inside the JS callback and in the env cleanup hook.
  void Close();

  uint64_t delivered() const { return delivered_; }
  bool closed() const { return closed_; }

 private:
  RingConsumer() = default;
  ~RingConsumer() = default;
  static int OnSample(void* ctx, void* data, size_t size);
  static void OnPoll(uv_poll_t* handle, int status, int events);
  static void OnTimer(uv_timer_t* handle);
  static void OnHandleClosed(uv_handle_t* handle);

  napi_env env_ = nullptr;
  napi_ref callback_ = nullptr;
  ring_buffer* ring_ = nullptr;
  bool periodic_ = false;
  union {
    uv_poll_t poll;
    uv_timer_t timer;
  } handle_;
  bool handleOpen_ = false;
  bool closed_ = false;
  uint64_t delivered_ = 0;
  // The batch being filled by OnSample during ring_buffer__consume.
  napi_value batch_ = nullptr;
  uint32_t batchCount_ = 0;
  bool batchFailed_ = false;
};

}  // namespace autotracer
