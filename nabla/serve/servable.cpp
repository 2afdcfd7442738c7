#include "nabla/serve/servable.h"

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "nabla/core/error.h"
#include "nabla/io/model_file.h"
#include "nabla/serve/serve_error.h"

namespace nabla::serve {

namespace fs = std::filesystem;

Servable::Servable(std::string name, int64_t version, std::shared_ptr<Model> model, std::string path)
    : name_(std::move(name)), version_(version), model_(std::move(model)), path_(std::move(path)),
      signature_(signature_of(*model_)) {}

Servable::~Servable() { batcher_.reset(); }  // finishes queued requests while the model is still here

const Signature& Servable::signature(const std::string& signature_name) const {
  if (!signature_name.empty() && signature_name != kDefaultServingSignature)
    throw ServeError(StatusCode::kInvalidArgument,
                     "Serving signature name: \"" + signature_name + "\" not found in signature def");
  return signature_;
}

void Servable::enable_batching(const BatchingParameters& params, Batcher::BatchObserver observer) {
  batcher_ = std::make_unique<Batcher>(params, [this](const std::vector<Tensor>& in) { return run_model(in); },
                                       std::move(observer));
}

std::vector<Tensor> Servable::run_model(const std::vector<Tensor>& inputs) {
  std::vector<Tensor> out;
  try {
    out = model_->predict_on_batch(inputs);
  } catch (const ServeError&) {
    throw;
  } catch (const std::exception& e) {
    // Shapes the signature could not check (a model without a known input shape) fail here.
    throw ServeError(StatusCode::kInvalidArgument, e.what());
  }
  return out;
}

std::vector<Tensor> Servable::predict(const std::vector<Tensor>& inputs, std::chrono::milliseconds timeout) {
  if (batcher_) return batcher_->run(inputs, timeout);
  return run_model(inputs);
}

void Servable::warm_up() {
  std::vector<int64_t> sizes{1};
  if (batcher_)
    for (int64_t s : batcher_->params().allowed_batch_sizes)
      if (s != 1) sizes.push_back(s);
  for (int64_t b : sizes) {
    std::vector<Tensor> inputs;
    for (const auto& in : signature_.inputs) {
      if (in.unknown_rank) return;  // nothing to warm up with: the model learns its shape from the first request
      Shape s = in.shape;
      for (auto& d : s) d = d < 0 ? 1 : d;
      s[0] = b;
      inputs.push_back(Tensor::zeros(s, in.dtype));
    }
    run_model(inputs);
  }
}

namespace {
// A file nabla::load_model reads as a whole model: Keras 3 (.keras), legacy Keras 2 / tf_keras (.h5), ONNX
// (.onnx), nabla's own .nblite, or a TF.js Layers model.json (its shards, *.bin, are read through it).
bool is_model_file(const std::string& n) {
  for (const char* suffix : {".keras", ".h5", ".onnx", ".nblite"})
    if (n.size() > std::strlen(suffix) && n.compare(n.size() - std::strlen(suffix), std::string::npos, suffix) == 0)
      return true;
  return n == "model.json";
}
}  // namespace

std::string find_model_file(const std::string& version_dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(version_dir, ec))
    if (e.is_regular_file() && is_model_file(e.path().filename().string())) files.push_back(e.path());
  if (ec) throw IOError(version_dir + ": " + ec.message());
  if (files.size() == 1) return files[0].string();
  if (files.size() > 1) {
    // Serving one of them would be a guess: the version's clients could get either model.
    std::sort(files.begin(), files.end());
    std::string names;
    for (const auto& f : files) names += (names.empty() ? "" : ", ") + f.filename().string();
    throw IOError(version_dir + ": " + std::to_string(files.size()) + " model files (" + names +
                  "); a version directory holds one model");
  }
  if (fs::exists(fs::path(version_dir) / "saved_model.pb"))
    throw IOError(version_dir + ": a TensorFlow SavedModel; nabla-serve serves the files nabla::load_model reads "
                                "(.keras, .h5, .onnx, TF.js model.json)");
  throw IOError(version_dir + ": no model file (.keras, .h5, .onnx, TF.js model.json) in this version directory");
}

std::shared_ptr<Servable> load_servable(const std::string& name, int64_t version, const std::string& version_dir) {
  const std::string file = find_model_file(version_dir);
  std::shared_ptr<Model> model = load_model(file, LoadOptions{.compile = false});
  return std::make_shared<Servable>(name, version, std::move(model), file);
}

}  // namespace nabla::serve
