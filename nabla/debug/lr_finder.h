#pragma once
// Learning-rate range test (Leslie Smith's LR finder, as in fastai): trains for a few hundred steps while the
// learning rate grows exponentially from start_lr to end_lr, records the (smoothed) loss, and suggests a rate
// a decade below the one with the lowest loss. The model's weights, optimizer state and learning rate are
// restored afterwards, so the test can precede fit.
#include <iostream>
#include <string>
#include <vector>

#include "nabla/core/tensor.h"

namespace nabla {
class Model;
}

namespace nabla::debug {

struct LRFinderOptions {
  double start_lr = 1e-7;
  double end_lr = 10.0;
  int64_t steps = 200;
  int64_t batch_size = 32;
  double smoothing = 0.9;         // exponential moving average of the loss
  double diverge_factor = 4.0;    // stop once the smoothed loss exceeds this multiple of its best
  std::string csv_path;           // if set: "step,learning_rate,loss,smoothed_loss" rows
  std::ostream* out = &std::cout; // the ASCII plot and the suggestion; nullptr: quiet
};

struct LRFinderResult {
  std::vector<double> learning_rates, losses, smoothed;
  double best_lr = 0;       // lowest smoothed loss
  double suggested_lr = 0;  // best_lr / 10
  std::string plot;         // ASCII plot of smoothed loss against log10(learning rate)
};

LRFinderResult lr_range_test(Model& model, const Tensor& x, const Tensor& y, const LRFinderOptions& opts = {});

// The ASCII plot used by lr_range_test (exposed for tests and other sweeps).
std::string ascii_plot(const std::vector<double>& xs_log10, const std::vector<double>& ys, int width = 60,
                       int height = 15);

}  // namespace nabla::debug
