#include "nabla/train/callbacks/model_checkpoint.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "nabla/train/callbacks/monitor.h"
#include "nabla/train/model.h"

namespace nabla::callbacks {
namespace {

// Python's str(float): the shortest text that reads back to the same value.
std::string shortest(double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::string format_field(const std::string& key, const std::string& spec, double value, bool integral,
                         const std::string& pattern) {
  if (spec.empty()) return integral ? std::to_string(int64_t(value)) : shortest(value);
  char type = spec.back();
  std::string flags = spec.substr(0, spec.size() - 1);
  bool ok = std::string("dfeEgG").find(type) != std::string::npos &&
            flags.find_first_not_of("0123456789.+- ") == std::string::npos;
  if (!ok)
    throw ValueError("ModelCheckpoint: unsupported format spec '" + spec + "' for field '" + key + "' in '" +
                     pattern + "' (use [width][.precision] then d, f, e or g)");
  char buf[128];
  if (type == 'd')
    std::snprintf(buf, sizeof buf, ("%" + flags + "lld").c_str(), static_cast<long long>(std::llround(value)));
  else
    std::snprintf(buf, sizeof buf, ("%" + flags + type).c_str(), value);
  return buf;
}

}  // namespace

std::string format_checkpoint_path(const std::string& pattern, int epoch, const Logs& logs) {
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '{' && i + 1 < pattern.size() && pattern[i + 1] == '{') {  // "{{" is a literal brace, as in Python
      out += '{';
      ++i;
    } else if (c == '}' && i + 1 < pattern.size() && pattern[i + 1] == '}') {
      out += '}';
      ++i;
    } else if (c == '{') {
      size_t close = pattern.find('}', i);
      if (close == std::string::npos) throw ValueError("ModelCheckpoint: unclosed '{' in filepath '" + pattern + "'");
      std::string field = pattern.substr(i + 1, close - i - 1);
      size_t colon = field.find(':');
      std::string key = field.substr(0, colon), spec = colon == std::string::npos ? "" : field.substr(colon + 1);
      if (key == "epoch") {
        out += format_field(key, spec, epoch, true, pattern);
      } else {
        auto it = logs.find(key);
        if (it == logs.end()) {
          std::string known = "epoch";
          for (const auto& [k, v] : logs) known += ", " + k;
          throw ValueError("ModelCheckpoint: filepath '" + pattern + "' uses '{" + key +
                           "}', which is not logged (available: " + known + ")");
        }
        out += format_field(key, spec, it->second, false, pattern);
      }
      i = close;
    } else {
      out += c;
    }
  }
  return out;
}

ModelCheckpoint::ModelCheckpoint(std::string filepath, ModelCheckpointOptions opts)
    : filepath_(std::move(filepath)),
      o_(std::move(opts)),
      maximize_(monitor_maximizes(o_.monitor, o_.mode, "ModelCheckpoint")) {
  NABLA_CHECK(!filepath_.empty(), "ModelCheckpoint: filepath is empty");
  auto ends_with = [&](const std::string& ext) {
    return filepath_.size() >= ext.size() && filepath_.compare(filepath_.size() - ext.size(), ext.size(), ext) == 0;
  };
  if (o_.save_weights_only && !ends_with(".weights.h5"))
    throw ValueError("ModelCheckpoint: with save_weights_only the filepath must end in .weights.h5 (Keras's weights "
                     "format); got '" + filepath_ + "'");
  if (!o_.save_weights_only && !ends_with(".keras"))
    throw ValueError("ModelCheckpoint: the filepath must end in .keras (a whole model, as Keras 3 saves it; use "
                     "save_weights_only with a .weights.h5 path for weights alone); got '" + filepath_ + "'");
  best_ = o_.initial_value_threshold ? *o_.initial_value_threshold
                                     : (maximize_ ? -std::numeric_limits<double>::infinity()
                                                  : std::numeric_limits<double>::infinity());
}

void ModelCheckpoint::on_epoch_end(int epoch, Logs& logs) {
  std::string path = format_checkpoint_path(filepath_, epoch + 1, logs);
  if (o_.save_best_only) {
    auto it = logs.find(o_.monitor);
    if (it == logs.end()) {
      *o_.out << "ModelCheckpoint: can save the best model only with '" << o_.monitor
              << "' available; skipping epoch " << epoch + 1 << "\n";
      return;
    }
    double current = it->second;
    if (!(maximize_ ? current > best_ : current < best_)) {
      if (o_.verbose > 0) *o_.out << "\nEpoch " << epoch + 1 << ": " << o_.monitor << " did not improve from " << best_ << "\n";
      return;
    }
    if (o_.verbose > 0)
      *o_.out << "\nEpoch " << epoch + 1 << ": " << o_.monitor << " improved from " << best_ << " to " << current
              << ", saving model to " << path << "\n";
    best_ = current;
  } else if (o_.verbose > 0) {
    *o_.out << "\nEpoch " << epoch + 1 << ": saving model to " << path << "\n";
  }
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  if (ec) throw IOError("ModelCheckpoint: cannot create directory '" + dir.string() + "': " + ec.message());
  if (o_.save_weights_only)
    model()->save_weights(path);
  else
    model()->save(path);  // save_model (io/model_file.h)
  last_saved_ = path;
}

}  // namespace nabla::callbacks
