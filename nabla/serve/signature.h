#pragma once
// The serving signature of a model, shaped as TF Serving's SignatureDef ("serving_default"): named inputs and
// outputs with a dtype and a shape whose first dimension (the batch) is -1. The JSON <-> tensor conversion checks
// requests against it, and /metadata prints it.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "nabla/core/dtype.h"
#include "nabla/core/shape.h"
#include "nabla/train/model.h"

namespace nabla::serve {

inline constexpr const char* kDefaultServingSignature = "serving_default";
inline constexpr const char* kPredictMethodName = "tensorflow/serving/predict";

struct TensorInfo {
  std::string name;
  DType dtype = f32;
  Shape shape;                // -1 = any size (always so for the batch dimension)
  bool unknown_rank = false;  // a Sequential model built on first call: any shape is passed on to the model
};

struct Signature {
  std::string method_name = kPredictMethodName;
  std::vector<TensorInfo> inputs, outputs;
};

// The signature of a loaded model: a functional model's Input names and shapes; a Sequential model's input
// layer ("input_layer" unless its config names it) with its build_input_shape; outputs named as the model names
// them (Model::output_names, else the last layer), shapes from Model::output_shapes / layer_output_shapes.
Signature signature_of(const Model& model);

// "DT_FLOAT", "DT_INT32", ... (TensorFlow's DataType enum names).
const char* tf_dtype_name(DType dtype);
// "[-1,28,28]" as TF Serving's ShapeToString, "[?]" for an unknown rank.
std::string shape_string(const Shape& shape, bool unknown_rank = false);
// TF Serving's SignatureDef JSON: {"inputs": {name: {"dtype", "tensor_shape": {"dim": [{"size": "-1",
// "name": ""}], "unknown_rank": false}, "name"}}, "outputs": {...}, "method_name", "defaults": {}}.
nlohmann::json signature_def_json(const Signature& sig);

}  // namespace nabla::serve
