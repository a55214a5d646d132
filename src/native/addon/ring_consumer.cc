#include "ring_consumer.h"

#include <cerrno>

namespace autotracer {
namespace {

// Records per JS call. A full batch stops ring_buffer__consume; the uv_poll (level
// triggered) fires again on the next loop turn, so a flood cannot starve the loop.
constexpr uint32_t kMaxBatch = 8192;
// OnSample's "batch is full" signal to ring_buffer__consume (any negative value stops it;
// the sample that returned it is already consumed and kept).
constexpr int kBatchFull = -EFBIG;
// Periodic mode: at most this many full batches per tick.
constexpr int kMaxBatchesPerTick = 8;

}  // namespace

RingConsumer* RingConsumer::Open(napi_env env, int mapFd, napi_value callback, bool periodic, uint32_t periodMs,
                                 int* err, std::string* what) {
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
    *err = EINVAL;
    *what = "no uv loop for this environment";
    return nullptr;
  }
  auto* self = new RingConsumer();
  self->env_ = env;
  self->periodic_ = periodic;
  self->ring_ = ring_buffer__new(mapFd, &RingConsumer::OnSample, self, nullptr);
  if (self->ring_ == nullptr) {
    *err = errno;
    *what = "ring_buffer__new failed";
    delete self;
    return nullptr;
  }
  int rc;
  if (periodic) {
    rc = uv_timer_init(loop, &self->handle_.timer);
    if (rc == 0) {
      self->handle_.timer.data = self;
      self->handleOpen_ = true;
      rc = uv_timer_start(&self->handle_.timer, &RingConsumer::OnTimer, periodMs, periodMs);
    }
  } else {
    rc = uv_poll_init(loop, &self->handle_.poll, ring_buffer__epoll_fd(self->ring_));
    if (rc == 0) {
      self->handle_.poll.data = self;
      self->handleOpen_ = true;
      rc = uv_poll_start(&self->handle_.poll, UV_READABLE, &RingConsumer::OnPoll);
    }
  }
  if (rc == 0 && napi_create_reference(env, callback, 1, &self->callback_) != napi_ok) rc = -ENOMEM;
  if (rc != 0) {
    *err = -rc;
    *what = periodic ? "uv timer set-up failed" : "uv_poll on the ring buffer's epoll fd failed";
    self->Close();  // deletes self (now, or in the close callback)
    return nullptr;
  }
  return self;
}

int RingConsumer::OnSample(void* ctx, void* data, size_t size) {
  auto* self = static_cast<RingConsumer*>(ctx);
  if (self->batchFailed_) return kBatchFull;
  napi_value buffer;
  void* copy = nullptr;
  if (napi_create_buffer_copy(self->env_, size, data, &copy, &buffer) != napi_ok ||
      napi_set_element(self->env_, self->batch_, self->batchCount_, buffer) != napi_ok) {
    // The environment is probably terminating: stop consuming, deliver nothing more.
    self->batchFailed_ = true;
    return kBatchFull;
  }
  self->batchCount_++;
  return self->batchCount_ >= kMaxBatch ? kBatchFull : 0;
}

int RingConsumer::ConsumeAndDeliver(bool fromJs) {
  if (closed_) return 0;
  napi_env env = env_;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return -EINVAL;
  int result = 0;
  napi_value batch;
  if (napi_create_array(env, &batch) != napi_ok) {
    napi_close_handle_scope(env, scope);
    return -ENOMEM;
  }
  batch_ = batch;
  batchCount_ = 0;
  batchFailed_ = false;
  int rc = ring_buffer__consume(ring_);
  uint32_t count = batchCount_;
  bool failed = batchFailed_;
  batch_ = nullptr;
  if (rc < 0 && rc != kBatchFull) result = rc;
  if (count > 0 && !failed) {
    delivered_ += count;
    result = static_cast<int>(count);
    napi_value callback, receiver, ignored;
    if (napi_get_reference_value(env, callback_, &callback) == napi_ok && callback != nullptr &&
        // napi_make_callback converts the receiver to an object: undefined would throw.
        napi_get_global(env, &receiver) == napi_ok) {
      // May run JS that closes this consumer: `this` stays valid (deleted only in the
      // uv close callback), but touch nothing after the call except locals.
      napi_status status = fromJs ? napi_call_function(env, receiver, callback, 1, &batch, &ignored)
                                  : napi_make_callback(env, nullptr, receiver, callback, 1, &batch, &ignored);
      if (status != napi_ok && !fromJs) {
        bool pending = false;
        if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
          napi_value error;
          // Rethrow as this thread's uncaught exception: a worker reports it on its
          // 'error' event; the main thread gets process 'uncaughtException'.
          if (napi_get_and_clear_last_exception(env, &error) == napi_ok) napi_fatal_exception(env, error);
        }
        // Otherwise the environment is terminating (worker.terminate()): nothing to report.
      }
      // fromJs: a pending exception stays pending and propagates to the JS caller.
    }
  }
  napi_close_handle_scope(env, scope);
  return result;
}

void RingConsumer::OnPoll(uv_poll_t* handle, int status, int events) {
  auto* self = static_cast<RingConsumer*>(handle->data);
  try {
    if (self->closed_) return;
    self->ConsumeAndDeliver(false);
  } catch (...) {
    // Nothing may escape into libuv (std::terminate would abort the process).
  }
}

void RingConsumer::OnTimer(uv_timer_t* handle) {
  auto* self = static_cast<RingConsumer*>(handle->data);
  try {
    for (int i = 0; i < kMaxBatchesPerTick && !self->closed_; i++) {
      if (self->ConsumeAndDeliver(false) < static_cast<int>(kMaxBatch)) break;
    }
  } catch (...) {
  }
}

void RingConsumer::Close() {
  if (closed_) return;
  closed_ = true;
  if (callback_ != nullptr) {
    napi_delete_reference(env_, callback_);
    callback_ = nullptr;
  }
  // The uv handle goes first: after uv_close no callback can touch the ring.
  if (handleOpen_) {
    uv_handle_t* handle = periodic_ ? reinterpret_cast<uv_handle_t*>(&handle_.timer)
                                    : reinterpret_cast<uv_handle_t*>(&handle_.poll);
    if (!uv_is_closing(handle)) uv_close(handle, &RingConsumer::OnHandleClosed);
  }
  if (ring_ != nullptr) {
    ring_buffer__free(ring_);
    ring_ = nullptr;
  }
  if (!handleOpen_) delete this;
}

void RingConsumer::OnHandleClosed(uv_handle_t* handle) {
  delete static_cast<RingConsumer*>(handle->data);
}

}  // namespace autotracer
