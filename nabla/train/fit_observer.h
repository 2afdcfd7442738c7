#pragma once
// Observer hook for tools that watch fit from outside (debug/: data checks before training, the batch of each
// step for NaN dumps). train/ must not depend on debug/, so debug/ installs itself here.
#include <cstdint>
#include <vector>

#include "nabla/core/tensor.h"

namespace nabla {

class Model;

struct FitObserver {
  virtual ~FitObserver() = default;
  // fit on tensors, before the first epoch (after fit's own validation).
  virtual void on_fit_data(Model& /*model*/, const Tensor& /*x*/, const Tensor& /*y*/) {}
  // Around every training step of fit: the batch about to be trained on.
  virtual void on_train_step_begin(Model& /*model*/, const Tensor& /*x*/, const Tensor& /*y*/,
                                   const Tensor& /*sample_weight*/, int /*epoch*/, int64_t /*step*/) {}
  virtual void on_train_step_end(Model& /*model*/) {}
};

void add_fit_observer(FitObserver* obs);     // no-op if already added
void remove_fit_observer(FitObserver* obs);
// A snapshot of the installed observers (empty in the common case, so fit pays one vector copy of nothing).
std::vector<FitObserver*> fit_observers();

}  // namespace nabla
