#pragma once
// Post-training static quantization (TFLite's and PyTorch's recipe) of a trained float32 model into a
// lite::QModel that lite::Interpreter runs on int8 kernels:
//  - weights: per-output-channel symmetric int8 (scale = max|w| / 127, or / 63 with weight_bits = 7);
//  - activations: per-tensor asymmetric u8, ranges calibrated on sample inputs by min/max or by a percentile of
//    a histogram, chosen per tensor by the smaller measured quantization error over that histogram ("auto");
//  - biases: int32 in the accumulator's scale s_in * s_w;
//  - BatchNormalization folded into the preceding Dense/Conv2D, ReLU fused, pooling and Flatten/Reshape/Dropout
//    pass the scale through, Add/Concatenate requantize their inputs, softmax runs in float32 at the output.
//
//   auto q = nabla::lite::quantize(model, x_train.slice(0, 0, 1000));
//   nabla::save_model(q, "m.nblite");
#include <string>

#include "nabla/data/dataset.h"
#include "nabla/lite/runtime/qmodel.h"
#include "nabla/train/model.h"

namespace nabla::lite {

struct QuantizeOptions {
  // "auto" (per tensor, min/max or one of the percentiles, whichever quantizes the calibration histogram with
  // the smaller squared error), "minmax", or "percentile" (clip at `percentile`).
  std::string calibration = "auto";
  double percentile = 99.99;
  // 8: weights in [-127, 127] (VNNI CPUs). 7: [-63, 63], for AVX2/AVX-512 CPUs without VNNI, whose u8*s8 pair
  // sums saturate at 16 bits (255 * 127 * 2 > 32767; 255 * 63 * 2 fits). An 8-bit model still runs right there:
  // the kernels halve the channels that would saturate when they load (kernels::int8_vnni), at 7-bit precision
  // for those channels.
  int weight_bits = 8;
  int histogram_bins = 2048;
  int64_t batch_size = 256;  // calibration batches (tensor input)
  // 1: "Calibration pass k/N" and a progress bar per pass over the calibration data (to std::cout), as fit's.
  int verbose = 0;
};

// Calibrates on `calibration` (float32 samples shaped like the model's input, batch axis first).
QModel quantize(const Model& model, const Tensor& calibration, QuantizeOptions opts = {});
// The same on a dataset whose elements are batches; their first component is the input.
QModel quantize(const Model& model, const data::Dataset& calibration, QuantizeOptions opts = {});

}  // namespace nabla::lite
