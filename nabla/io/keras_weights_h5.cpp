#include "nabla/io/keras_weights_h5.h"

#include "nabla/core/atomic_file.h"
#include "nabla/core/error.h"
#include "nabla/io/hdf5_file.h"

namespace nabla::io {
namespace {

// Bounds for hostile files: hard links can make a group its own descendant.
constexpr int kMaxDepth = 64;
constexpr size_t kMaxGroups = 1 << 16;

bool parse_index(const std::string& s, size_t& out) {
  if (s.empty() || s.size() > 9 || (s.size() > 1 && s[0] == '0')) return false;
  out = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    out = out * 10 + size_t(c - '0');
  }
  return true;
}

void read_vars(hid_t vars, const std::string& path, const std::string& where, KerasWeights& w) {
  KerasVars v;
  if (auto name = h5::read_string_attr(vars, "name", where); name && name->size() == 1) v.name = (*name)[0];
  auto kids = h5::children(vars, where);
  std::vector<bool> seen(kids.size(), false);
  v.values.resize(kids.size());
  for (const auto& c : kids) {
    size_t i;
    if (c.kind != h5::ObjectKind::dataset || !parse_index(c.name, i) || i >= kids.size() || seen[i])
      throw IOError(detail::concat(where, ": member '", c.name, "' is not one of the variables \"0\"..\"",
                                   kids.size() - 1, "\" (Keras names them by position)"));
    seen[i] = true;
    v.values[i] = h5::read_dataset(vars, c.name, where);
  }
  w.objects[path] = std::move(v);
}

void walk(hid_t group, const std::string& path, const std::string& origin, int depth, size_t& groups,
          KerasWeights& w) {
  if (depth > kMaxDepth || ++groups > kMaxGroups)
    throw IOError(detail::concat(origin, ": group '", path, "' nests too deep or too many groups (a link cycle?)"));
  const std::string where = origin + (path.empty() ? "" : ": group '" + path + "'");
  for (const auto& c : h5::children(group, where)) {
    if (c.kind != h5::ObjectKind::group) continue;
    h5::Id g = h5::open_group(group, c.name, where);
    if (c.name == "vars") {
      read_vars(g, path, origin + ": group '" + (path.empty() ? "" : path + "/") + "vars'", w);
    } else {
      walk(g, path.empty() ? c.name : path + "/" + c.name, origin, depth + 1, groups, w);
    }
  }
}

}  // namespace

const std::vector<Tensor>& KerasWeights::at(const std::string& path) const {
  auto it = objects.find(path);
  if (it == objects.end()) {
    std::string have;
    for (const auto& [p, v] : objects) have += (have.empty() ? "'" : ", '") + p + "'";
    throw IOError(detail::concat("the weights have no variables for '", path, "' (present: ",
                                 have.empty() ? "none" : have, ")"));
  }
  return it->second.values;
}

std::string write_keras_weights_h5(const KerasWeights& w) {
  h5::File f = h5::File::create("model.weights.h5");
  for (const auto& [path, v] : w.objects) {
    const std::string vars_path = path.empty() ? "vars" : path + "/vars";
    const std::string where = "model.weights.h5: group '" + vars_path + "'";
    h5::Id g = h5::create_group(f.root(), vars_path, where);
    if (!v.name.empty()) h5::write_string_attr(g, "name", v.name, where);
    for (size_t i = 0; i < v.values.size(); ++i) {
      if (!v.values[i].defined()) throw ValueError(detail::concat(where, ": variable ", i, " is an undefined tensor"));
      h5::write_dataset(g, std::to_string(i), v.values[i], where);
    }
  }
  return f.image();
}

KerasWeights read_keras_weights_h5(std::string_view image, const std::string& origin) {
  h5::File f = h5::File::open_image(image, origin);
  KerasWeights w;
  size_t groups = 0;
  walk(f.root(), "", origin, 0, groups, w);
  return w;
}

void save_keras_weights(const std::string& path, const KerasWeights& w) {
  write_file_atomic(path, write_keras_weights_h5(w), "save_weights");
}

KerasWeights load_keras_weights(const std::string& path) {
  return read_keras_weights_h5(read_file(path, "load_weights"), path);
}

}  // namespace nabla::io
