#pragma once
// Layer: the Keras building block. Holds its weights, builds them lazily from the first input shape (so only
// the first layer needs an input shape), and runs call() under a name scope so that ops know which layer ran
// them (used by debug/ to name the layer path of a bad op).
#include <memory>
#include <string>
#include <vector>

#include "nabla/core/tensor.h"
#include "nabla/nn/init.h"

namespace nabla::nn {

struct Weight {
  std::string name;  // "kernel", "bias", "moving_mean", ...
  Tensor value;
  bool trainable = true;
};

class Layer : public std::enable_shared_from_this<Layer> {
 public:
  explicit Layer(std::string type) : type_(std::move(type)) {}
  virtual ~Layer() = default;
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;

  // Runs the layer, building it on first use. Shapes include the batch axis.
  Tensor operator()(const Tensor& x, bool training = false);
  Tensor operator()(const std::vector<Tensor>& xs, bool training = false);

  // The computation. Single-input layers override the first; multi-input layers (Add, Concatenate) the second.
  virtual Tensor call(const Tensor& x, bool training);
  virtual Tensor call(const std::vector<Tensor>& xs, bool training);
  // Creates weights for the given input shape(s) (batch axis = -1). Default: none.
  virtual void build(const std::vector<Shape>& input_shapes);
  // Output shape for the given input shape(s), batch axis = -1. Checks compatibility with clear errors.
  virtual Shape compute_output_shape(const std::vector<Shape>& input_shapes) const = 0;
  // Human-readable configuration (for summary and error messages).
  virtual std::string config_str() const { return ""; }

  void ensure_built(const std::vector<Shape>& input_shapes);
  bool built() const { return built_; }
  const std::string& type() const { return type_; }
  const std::string& name() const { return name_; }
  void set_name(std::string n) { name_ = std::move(n); }

  std::vector<Weight>& weights() { return weights_; }
  const std::vector<Weight>& weights() const { return weights_; }
  std::vector<Tensor> trainable_weights() const;
  std::vector<Tensor> non_trainable_weights() const;
  int64_t count_params() const;
  bool trainable = true;

  // The input shape given at construction (Keras's input_shape=...), excluding the batch axis.
  const std::vector<int64_t>& declared_input_shape() const { return declared_input_shape_; }

 protected:
  Tensor& add_weight(const std::string& name, const Shape& shape, const Initializer& init, bool trainable = true,
                     DType dtype = f32);
  std::vector<int64_t> declared_input_shape_;
  std::vector<Shape> built_input_shapes_;

 private:
  std::string type_;
  std::string name_;
  bool built_ = false;
  std::vector<Weight> weights_;
};

using LayerPtr = std::shared_ptr<Layer>;

// Gives each layer a Keras-style unique name ("dense", "dense_1", ...) when it has none.
std::string unique_layer_name(const std::string& base);
// "Dense" -> "dense", "MaxPooling2D" -> "max_pooling2d".
std::string snake_case(const std::string& type);

}  // namespace nabla::nn
