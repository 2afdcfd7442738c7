#pragma once
// ONNX export: a built model as an ONNX ModelProto (Debian's libonnx protobuf classes), for ONNX Runtime and
// other inference engines. save_model(model, "m.onnx") comes here (io/model_file.cpp).
//
// The graph keeps the model's names: one graph input per model input (its InputLayer's name; "input_layer" for a
// Sequential built without one), one graph output per model output (its layer's name), float32, the batch axis
// dynamic ("batch"). Weights become initializers named "<layer>/<weight>". Inference only: Dropout is dropped and
// BatchNormalization uses its moving statistics.
//
// Layout: nabla is NHWC with HWIO kernels, ONNX's Conv and pools NCHW with OIHW kernels. Kernels are permuted once,
// here; activations are transposed NHWC -> NCHW where a value first meets a Conv2D or pooling layer and stay
// NCHW through elementwise layers, BatchNormalization, Add and Concatenate. A Flatten of an NCHW value flattens in
// CHW order and the Dense that reads it gets its kernel rows permuted to match, so Keras's NHWC element order is
// kept without a transpose; any other consumer gets the value transposed back to NHWC first.
#include <string>

#include "nabla/train/model.h"

namespace nabla::io {

constexpr int kOnnxMinOpset = 13;
// onnx 1.12 (Debian 12) knows opsets up to 17.
constexpr int kOnnxMaxOpset = 17;

// Writes `model` as an ONNX file atomically (core/atomic_file.h: a failed export leaves any previous file).
// Throws ValueError for an opset outside [13, 17], an unbuilt layer, or a layer without an ONNX counterpart
// (naming the layer and its class); IOError when the file cannot be written.
void export_onnx(const Model& model, const std::string& path, int opset = kOnnxMaxOpset);

// The serialized ModelProto (what export_onnx writes).
std::string onnx_model_bytes(const Model& model, int opset = kOnnxMaxOpset);

}  // namespace nabla::io
