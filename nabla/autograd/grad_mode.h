#pragma once
// Whether ops record autograd history on this thread (torch.no_grad / tf.stop_gradient scope).

namespace nabla {

struct GradMode {
  static bool is_enabled();
  static void set_enabled(bool on);
};

// RAII: disables gradient recording in its scope (evaluation, optimizer updates).
class NoGradGuard {
 public:
  NoGradGuard() : prev_(GradMode::is_enabled()) { GradMode::set_enabled(false); }
  ~NoGradGuard() { GradMode::set_enabled(prev_); }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool prev_;
};

}  // namespace nabla
