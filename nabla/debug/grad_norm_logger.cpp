#include "nabla/debug/grad_norm_logger.h"

#include <cmath>
#include <sstream>

#include "nabla/train/model.h"

namespace nabla::debug {
namespace {
double norm(const std::vector<Tensor>& ts, bool grads) {
  double s = 0;
  for (const Tensor& t0 : ts) {
    Tensor t = grads ? t0.grad() : t0;
    if (!t.defined()) continue;
    t = t.detach().contiguous();
    NABLA_DISPATCH_FLOAT(t.dtype(), T, {
      const T* p = t.data<T>();
      for (int64_t i = 0; i < t.numel(); ++i) s += double(p[i]) * double(p[i]);
    });
  }
  return std::sqrt(s);
}
}  // namespace

void GradNormLogger::on_train_begin(callbacks::Logs&) {
  file_.open(path_);
  NABLA_CHECK(file_.good(), "GradNormLogger: cannot write '", path_, "'");
  step_ = 0;
  Model& m = *model();
  std::ostringstream gh, wh;
  for (const auto& l : m.layers()) {
    if (l->trainable_weights().empty()) continue;
    gh << ',' << m.name() << '/' << l->name() << "/grad_norm";
    wh << ',' << m.name() << '/' << l->name() << "/weight_norm";
  }
  file_ << "epoch,step" << gh.str() << wh.str() << "\n";
}

void GradNormLogger::on_train_batch_end(int64_t, callbacks::Logs&) {
  if (step_++ % every_ != 0) return;
  // Streams rather than string concatenation: GCC 12 raises a false -Wrestrict on `"," + std::string`.
  std::ostringstream g, w;
  for (const auto& l : model()->layers()) {
    auto ws = l->trainable_weights();
    if (ws.empty()) continue;
    g << ',' << norm(ws, true);
    w << ',' << norm(ws, false);
  }
  file_ << epoch_ << "," << step_ - 1 << g.str() << w.str() << "\n";
}

}  // namespace nabla::debug
