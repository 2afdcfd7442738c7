#pragma once
// Servable: one loaded version of one model (TF Serving's servable): the model, its signature, and, with
// batching on, the batcher its requests go through. Requests hold a shared_ptr, so a version being unloaded
// finishes the requests already running on it.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "nabla/serve/batcher.h"
#include "nabla/serve/signature.h"
#include "nabla/train/model.h"

namespace nabla::serve {

class Servable {
 public:
  Servable(std::string name, int64_t version, std::shared_ptr<Model> model, std::string path = "");
  ~Servable();
  Servable(const Servable&) = delete;
  Servable& operator=(const Servable&) = delete;

  const std::string& name() const { return name_; }
  int64_t version() const { return version_; }
  const std::string& path() const { return path_; }
  // "" and "serving_default" name the model's signature; anything else is INVALID_ARGUMENT, as TF Serving says.
  const Signature& signature(const std::string& signature_name = "") const;

  // Routes predict() through a batcher (--enable_batching); call before the servable takes requests.
  void enable_batching(const BatchingParameters& params, Batcher::BatchObserver observer = {});
  // The model's outputs for inputs checked against signature() (json_tensor.h does that).
  std::vector<Tensor> predict(const std::vector<Tensor>& inputs,
                              std::chrono::milliseconds timeout = std::chrono::milliseconds(30000));
  // One request of zeros with batch 1 (and each allowed batch size when batching), so that the first client
  // request does not pay for first-call costs (TF Serving's SavedModel warm-up). Throws what the model throws.
  void warm_up();
  int64_t queue_depth() const { return batcher_ ? batcher_->queue_depth() : 0; }

 private:
  std::vector<Tensor> run_model(const std::vector<Tensor>& inputs);

  std::string name_;
  int64_t version_;
  std::shared_ptr<Model> model_;
  std::string path_;
  Signature signature_;
  std::unique_ptr<Batcher> batcher_;
};

// The model file in a version directory: the one file nabla::load_model reads (.keras, legacy .h5, .onnx, a TF.js
// model.json beside its shards, .nblite). Throws IOError naming the directory when there is none, or several
// (and names them).
std::string find_model_file(const std::string& version_dir);
// Loads the model in `version_dir` (uncompiled: serving needs no optimizer).
std::shared_ptr<Servable> load_servable(const std::string& name, int64_t version, const std::string& version_dir);

}  // namespace nabla::serve
