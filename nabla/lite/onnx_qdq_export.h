#pragma once
// ONNX export of a quantized model (lite/runtime/qmodel.h) in ONNX's QDQ form: activations travel as uint8
// (QuantizeLinear with each tensor's scale and zero point), and every op is its float ONNX op between
// DequantizeLinear and QuantizeLinear: int8 weights dequantized per output channel (axis), int32 biases
// dequantized with scale s_in * s_w. ONNX Runtime fuses DQ -> Conv/MatMul -> Q into its int8 kernels
// (QLinearConv, QLinearMatMul) or runs the float ops; either way the result is nabla's within one quantization
// step. Conv and pools run in NCHW between Transposes of the uint8 NHWC tensors. save_model(qmodel-backed
// model, "m.onnx") and nabla-convert m.nblite m.onnx come here.
#include <string>

#include "nabla/lite/runtime/qmodel.h"

namespace nabla::lite {

// The serialized ModelProto (opset 13 to 17; per-axis DequantizeLinear needs 13).
std::string onnx_qdq_bytes(const QModel& m, int opset = 17);
// Written through a temporary name and renamed.
void export_onnx_qdq(const QModel& m, const std::string& path, int opset = 17);

}  // namespace nabla::lite
