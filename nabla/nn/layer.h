#pragma once
// Layer: the Keras building block. Holds its weights, builds them lazily from the first input shape (so only
// the first layer needs an input shape), and runs call() under a name scope so that ops know which layer ran
// them (used by debug/ to name the layer path of a bad op).
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <utility>
#include <vector>

#include "nabla/core/tensor.h"
#include "nabla/nn/init.h"
#include "nabla/nn/regularizers.h"

namespace nabla::nn {

struct Weight {
  std::string name;  // "kernel", "bias", "moving_mean", ...
  Tensor value;
  bool trainable = true;
  Regularizer regularizer;  // empty: none
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
  // Keras's get_config(): the constructor arguments under Keras's key names, starting with name, trainable and
  // dtype (a DTypePolicy object). Each class also has a static from_config(const nlohmann::json&) that rebuilds
  // it; nn/layer_registry.h serializes a layer to Keras's {"module", "class_name", "config", ...} and back.
  virtual nlohmann::json get_config() const;
  // A one-line rendering of the layer's own get_config entries ("units=4, activation=relu"), for messages.
  std::string config_str() const;
  // Sets name and trainable from a config and checks its dtype (nabla layers compute in float32); for from_config.
  void load_base_config(const nlohmann::json& config);

  void ensure_built(const std::vector<Shape>& input_shapes);
  bool built() const { return built_; }
  const std::string& type() const { return type_; }
  const std::string& name() const { return name_; }
  void set_name(std::string n) { name_ = std::move(n); }

  std::vector<Weight>& weights() { return weights_; }
  const std::vector<Weight>& weights() const { return weights_; }
  // The weight of that name ("kernel", "bias", "moving_mean", ...); throws listing the layer's weights otherwise.
  Tensor weight(const std::string& name) const;
  bool has_weight(const std::string& name) const;
  std::vector<Tensor> trainable_weights() const;
  std::vector<Tensor> non_trainable_weights() const;
  int64_t count_params() const;
  bool trainable = true;
  // The penalties of the regularizers on this layer's trainable weights (Keras's layer.losses): differentiable
  // scalars to add to the training loss. Empty for a frozen layer, as in Keras.
  virtual std::vector<Tensor> regularization_losses() const;
  // The layer's own random streams (Keras's layer._seed_generators: a seeded Dropout's), so that an exact
  // backup (BackupAndRestore) saves and restores them. Layers drawing from the default generator have none.
  virtual std::vector<Generator*> seed_generators() { return {}; }
  // The input shapes (batch axis -1) the layer was built for; Keras's build_config.
  const std::vector<Shape>& built_input_shapes() const { return built_input_shapes_; }

  // The input shape given at construction (Keras's input_shape=...), excluding the batch axis.
  const std::vector<int64_t>& declared_input_shape() const { return declared_input_shape_; }

  // ---- masking (Keras's supports_masking, compute_mask and call(..., mask=)) ----
  // A mask is a tensor of the input's leading axes ([N, T] for [N, T, F] inputs; u8 from nabla's layers, any
  // dtype accepted: nonzero = the step counts). Models carry each tensor's mask next to it (Sequential,
  // Functional) and hand the output's mask to the loss and metrics.
  // Whether the layer passes a mask on (compute_mask); a layer that does not drops it, as Keras does.
  bool supports_masking() const { return supports_masking_; }
  // The output's mask from the inputs and their masks (undefined entries: no mask). Default: one input's mask
  // unchanged; for several inputs the AND of the defined ones (Keras's merge layers).
  virtual Tensor compute_mask(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks) const;
  // The computation when the single input carries a mask. Default: the mask does not change it (Dense,
  // activations, Dropout); GlobalAveragePooling1D and BatchNormalization override it.
  virtual Tensor call_masked(const Tensor& x, const Tensor& /*mask*/, bool training) { return call(x, training); }
  // Runs the layer like operator() with the inputs' masks (empty or undefined: none); returns the output and
  // its mask (undefined when the layer produces none or drops the mask).
  std::pair<Tensor, Tensor> call_with_mask(const std::vector<Tensor>& xs, const std::vector<Tensor>& masks,
                                           bool training);

 protected:
  // Creates, initializes and records a weight; returns a handle to it (it shares storage with the weight).
  Tensor add_weight(const std::string& name, const Shape& shape, const Initializer& init, bool trainable = true,
                    DType dtype = f32, Regularizer regularizer = {});
  std::vector<int64_t> declared_input_shape_;
  std::vector<Shape> built_input_shapes_;
  bool supports_masking_ = false;  // set by the layers that pass masks on (Keras's self.supports_masking)

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
