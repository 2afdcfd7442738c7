#include "nabla/train/callbacks/backup_and_restore.h"

#include <bit>
#include <filesystem>
#include <vector>

#include "nabla/autograd/grad_mode.h"
#include "nabla/core/error.h"
#include "nabla/core/random.h"
// The backup is a Keras weights file; io/ writes and reads it (atomically, and in the HDF5 sandbox).
#include "nabla/io/keras_weights_h5.h"
#include "nabla/train/data_parallel.h"
#include "nabla/train/model.h"

namespace nabla::callbacks {
namespace {

namespace fs = std::filesystem;

Tensor i64_tensor(const std::vector<int64_t>& v) { return Tensor::from_vector(v); }

std::vector<Tensor> generator_vars(const Generator& g) {
  std::vector<int64_t> s;
  for (uint64_t w : g.state()) s.push_back(std::bit_cast<int64_t>(w));
  auto spare = g.spare_normal();
  return {i64_tensor(s), Tensor::from_vector(std::vector<double>{spare ? 1.0 : 0.0, spare.value_or(0.0)})};
}

// Reads what generator_vars wrote at values[at], values[at + 1].
void set_generator(Generator& g, const std::vector<Tensor>& values, size_t at, const std::string& where) {
  if (values.size() < at + 2 || values[at].dtype() != i64 || values[at].numel() != 4 ||
      values[at + 1].dtype() != f64 || values[at + 1].numel() != 2)
    throw IOError(where + ": 'training_state/vars/" + std::to_string(at) + "' and '" + std::to_string(at + 1) +
                  "' are not a generator state (int64[4] and float64[2])");
  Generator::State s;
  const Tensor st = values[at].contiguous(), sp = values[at + 1].contiguous();
  for (size_t i = 0; i < 4; ++i) s[i] = std::bit_cast<uint64_t>(st.data<int64_t>()[i]);
  g.set_state(s);
  const double* p = sp.data<double>();
  g.set_spare_normal(p[0] != 0 ? std::optional<double>(p[1]) : std::nullopt);
}

int64_t scalar_at(const std::vector<Tensor>& values, size_t i, const std::string& where, const char* what) {
  if (values.size() <= i || values[i].dtype() != i64 || values[i].numel() != 1)
    throw IOError(where + ": 'training_state/vars/" + std::to_string(i) + "' (" + what + ") is not an int64 scalar");
  return values[i].contiguous().data<int64_t>()[0];
}

std::vector<Generator*> seed_generators(const Model& m) {
  std::vector<Generator*> r;
  for (const auto& l : m.layers())
    for (Generator* g : l->seed_generators()) r.push_back(g);
  return r;
}

}  // namespace

BackupAndRestore::BackupAndRestore(std::string backup_dir, int64_t save_freq, bool delete_checkpoint)
    : dir_(std::move(backup_dir)), save_freq_(save_freq), delete_checkpoint_(delete_checkpoint) {
  if (dir_.empty()) throw ValueError("BackupAndRestore: backup_dir is empty");
  if (save_freq_ < 0)
    throw ValueError(detail::concat("BackupAndRestore: save_freq must be 0 (epoch ends) or a number of steps > 0, "
                                    "got ", save_freq_));
  path_ = (fs::path(dir_) / "latest.weights.h5").string();
}

void BackupAndRestore::on_train_begin(Logs&) {
  restored_ = false;
  steps_since_save_ = 0;
  std::error_code ec;
  if (fs::exists(dir_, ec) && !fs::is_directory(dir_, ec))
    throw IOError("BackupAndRestore: backup_dir '" + dir_ + "' exists and is not a directory");
  if (fs::exists(path_, ec)) restore();
}

void BackupAndRestore::on_train_batch_end(int64_t, Logs&) {
  if (save_freq_ > 0 && ++steps_since_save_ >= save_freq_) save();
}

void BackupAndRestore::on_epoch_end(int, Logs&) { save(); }

void BackupAndRestore::on_train_end(Logs&) {
  if (!delete_checkpoint_ || !is_chief()) return;
  // The files this callback wrote, then the directory if nothing else is in it (Keras removes backup_dir).
  std::error_code ec;
  fs::remove(path_, ec);
  if (fs::is_directory(dir_, ec) && fs::is_empty(dir_, ec)) fs::remove(dir_, ec);
}

bool BackupAndRestore::is_chief() const {
  const DataParallel* dp = model() ? model()->data_parallel() : nullptr;
  return !dp || dp->is_chief();
}

void BackupAndRestore::save() {
  steps_since_save_ = 0;
  // Data-parallel: the replicas are identical, so the chief alone writes (one writer, renamed into place).
  if (!is_chief()) return;
  Model& m = *model();
  io::KerasWeights w;
  w.objects[""] = {m.name(), {}};
  const auto layers = m.layers();
  for (size_t i = 0; i < layers.size(); ++i) {
    NABLA_CHECK(layers[i]->built(), "BackupAndRestore: layer '", layers[i]->name(), "' of model '", m.name(),
                "' is not built");
    io::KerasVars v{layers[i]->name(), {}};
    for (const auto& wt : layers[i]->weights()) v.values.push_back(wt.value.detach().contiguous());
    w.objects["layers/" + std::to_string(i)] = std::move(v);
  }
  optim::Optimizer& opt = m.optimizer();
  io::KerasVars ov{opt.name(), {}};
  for (auto& [name, t] : opt.variables(m.trainable_weights())) ov.values.push_back(t.detach().contiguous());
  w.objects["optimizer"] = std::move(ov);

  const FitPosition pos = m.fit_position();
  std::vector<int64_t> data{pos.data_cursor};
  data.insert(data.end(), pos.data_order.begin(), pos.data_order.end());
  io::KerasVars ts{"training_state",
                   {i64_tensor({pos.epoch}), i64_tensor({pos.step}), i64_tensor(data),
                    Tensor::from_vector(std::vector<double>{opt.learning_rate()})}};
  for (Tensor& t : generator_vars(default_generator())) ts.values.push_back(std::move(t));
  for (Generator* g : seed_generators(m))
    for (Tensor& t : generator_vars(*g)) ts.values.push_back(std::move(t));
  ts.values.push_back(i64_tensor({pos.replicas}));
  w.objects["training_state"] = std::move(ts);

  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) throw IOError("BackupAndRestore: cannot create backup_dir '" + dir_ + "': " + ec.message());
  io::save_keras_weights(path_, w);
}

void BackupAndRestore::restore() {
  Model& m = *model();
  const std::string where = "BackupAndRestore: '" + path_ + "'";
  io::KerasWeights w = io::load_keras_weights(path_);
  // Everything is checked before anything is assigned: a backup of another model leaves this one untouched.
  const auto layers = m.layers();
  std::vector<std::pair<Tensor, Tensor>> copies;
  for (size_t i = 0; i < layers.size(); ++i) {
    const std::string path = "layers/" + std::to_string(i);
    NABLA_CHECK(layers[i]->built(), "BackupAndRestore: layer '", layers[i]->name(), "' of model '", m.name(),
                "' is not built, so the backup cannot be restored into it; give the model an input shape");
    const auto& ws = layers[i]->weights();
    auto it = w.objects.find(path);
    const size_t have = it == w.objects.end() ? 0 : it->second.values.size();
    if (have != ws.size())
      throw IOError(where + ": '" + path + "/vars' holds " + std::to_string(have) + " variables but layer '" +
                    layers[i]->name() + "' (" + layers[i]->type() + ") has " + std::to_string(ws.size()) +
                    " (is this a backup of another model?)");
    for (size_t k = 0; k < ws.size(); ++k) {
      const Tensor& v = it->second.values[k];
      if (v.shape() != ws[k].value.shape() || v.dtype() != ws[k].value.dtype())
        throw IOError(where + ": '" + path + "/vars/" + std::to_string(k) + "' is " + dtype_name(v.dtype()) + " " +
                      v.shape().str() + " but layer '" + layers[i]->name() + "' expects " + ws[k].name + " as " +
                      dtype_name(ws[k].value.dtype()) + " " + ws[k].value.shape().str());
      copies.emplace_back(ws[k].value, v);
    }
  }
  if (w.objects.count("layers/" + std::to_string(layers.size())))
    throw IOError(where + ": holds more layers than model '" + m.name() + "' has (" + std::to_string(layers.size()) +
                  ")");
  const std::vector<Tensor>& ts = w.at("training_state");
  const std::vector<Generator*> gens = seed_generators(m);
  if (ts.size() != 7 + 2 * gens.size())
    throw IOError(where + ": 'training_state/vars' holds " + std::to_string(ts.size()) + " variables; expected " +
                  std::to_string(7 + 2 * gens.size()) + " for a model with " + std::to_string(gens.size()) +
                  " seeded random layers");
  FitPosition pos;
  pos.epoch = int(scalar_at(ts, 0, where, "epoch"));
  pos.step = scalar_at(ts, 1, where, "step");
  pos.replicas = int(scalar_at(ts, ts.size() - 1, where, "processes"));
  if (pos.replicas < 1) throw IOError(where + ": the number of processes in 'training_state' is < 1");
  if (ts[2].dtype() != i64 || ts[2].dim() != 1 || ts[2].numel() < 1)
    throw IOError(where + ": 'training_state/vars/2' (data position) is not an int64 list [cursor, order...]");
  if (ts[3].dtype() != f64 || ts[3].numel() != 1)
    throw IOError(where + ": 'training_state/vars/3' (learning rate) is not a float64 scalar");
  const Tensor data = ts[2].contiguous();
  pos.data_cursor = data.data<int64_t>()[0];
  pos.data_order.assign(data.data<int64_t>() + 1, data.data<int64_t>() + data.numel());

  std::vector<Generator> saved_gens(1 + gens.size());  // read (and checked) before anything is assigned
  for (size_t i = 0; i < saved_gens.size(); ++i) set_generator(saved_gens[i], ts, 4 + 2 * i, where);

  optim::Optimizer& opt = m.optimizer();
  try {
    opt.set_variables(m.trainable_weights(), w.optimizer());
  } catch (const Error& e) {
    throw IOError(where + ": 'optimizer/vars' does not fit model '" + m.name() + "': " + e.what());
  }
  // The file's "learning_rate" variable is float32 (Keras's); the exact rate continues the run bit for bit.
  if (!opt.options().schedule) opt.set_learning_rate(ts[3].item());
  default_generator() = saved_gens[0];
  for (size_t i = 0; i < gens.size(); ++i) *gens[i] = saved_gens[1 + i];
  {
    NoGradGuard ng;
    for (auto& [dst, src] : copies) dst.copy_(src);
  }
  m.resume_fit_at(std::move(pos));
  restored_ = true;
}

}  // namespace nabla::callbacks
