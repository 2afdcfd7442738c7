#include "nabla/io/tfjs_weights.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>

#include "nabla/core/atomic_file.h"
#include "nabla/core/error.h"

namespace nabla::io {
namespace {

static_assert(std::endian::native == std::endian::little, "TF.js weight shards are little-endian");
using nlohmann::json;

float half_to_float(uint16_t h) {
  const uint32_t sign = uint32_t(h >> 15) << 31;
  const int exp = (h >> 10) & 0x1f;
  const uint32_t mant = h & 0x3ff;
  float mag;
  if (exp == 0) mag = std::ldexp(float(mant), -24);                      // zero, subnormal
  else if (exp == 31) mag = mant ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity();
  else mag = std::ldexp(float(mant | 0x400), exp - 25);
  uint32_t bits = std::bit_cast<uint32_t>(mag) | sign;
  return std::bit_cast<float>(bits);
}

struct Spec {
  std::string name, dtype, group, quant_dtype;
  Shape shape;
  double scale = 1, min = 0;
  size_t bytes = 0;  // in the shard data
};

Spec parse_spec(const json& w, const std::string& where) {
  if (!w.is_object()) throw IOError(where + ": a weights entry is not an object");
  Spec s;
  auto str = [&](const char* key, bool required) -> std::string {
    auto it = w.find(key);
    if (it == w.end()) {
      if (required) throw IOError(where + ": a weights entry has no \"" + key + "\"");
      return "";
    }
    if (!it->is_string()) throw IOError(where + ": a weights entry's \"" + key + "\" is not a string");
    return it->get<std::string>();
  };
  s.name = str("name", true);
  const std::string here = where + ": weight '" + s.name + "'";
  s.dtype = str("dtype", true);
  s.group = str("group", false);
  auto shape = w.find("shape");
  if (shape == w.end() || !shape->is_array()) throw IOError(here + ": \"shape\" is missing or not a list");
  if (shape->size() > size_t(Shape::kMaxDims))
    throw IOError(detail::concat(here, ": rank ", shape->size(), " exceeds nabla's ", Shape::kMaxDims));
  uint64_t numel = 1;
  for (const auto& d : *shape) {
    if (!d.is_number_integer() || d.get<int64_t>() < 0) throw IOError(here + ": shape " + shape->dump() + " is not a list of sizes");
    uint64_t v = d.get<uint64_t>();
    if (v != 0 && numel > (uint64_t(1) << 40) / v) throw IOError(here + ": shape " + shape->dump() + " is too large");
    numel *= v;
    s.shape.push_back(int64_t(v));
  }
  size_t width;
  if (s.dtype == "float32" || s.dtype == "int32") width = 4;
  else if (s.dtype == "bool") width = 1;
  else throw IOError(here + ": dtype '" + s.dtype + "' is not supported (nabla reads float32, int32 and bool)");
  if (auto q = w.find("quantization"); q != w.end()) {
    if (!q->is_object() || !q->contains("dtype") || !(*q)["dtype"].is_string())
      throw IOError(here + ": \"quantization\" has no dtype");
    s.quant_dtype = (*q)["dtype"].get<std::string>();
    if (s.dtype != "float32" && s.quant_dtype != "float16")
      throw IOError(here + ": quantized weights must be float32");
    if (s.quant_dtype == "uint8") width = 1;
    else if (s.quant_dtype == "uint16" || s.quant_dtype == "float16") width = 2;
    else throw IOError(here + ": quantization dtype '" + s.quant_dtype + "' is not uint8, uint16 or float16");
    if (s.quant_dtype != "float16") {
      if (!q->contains("scale") || !(*q)["scale"].is_number() || !q->contains("min") || !(*q)["min"].is_number())
        throw IOError(here + ": " + s.quant_dtype + " quantization needs numeric \"scale\" and \"min\"");
      s.scale = (*q)["scale"].get<double>();
      s.min = (*q)["min"].get<double>();
    }
  }
  s.bytes = size_t(numel) * width;
  return s;
}

Tensor decode(const Spec& s, const char* p) {
  const int64_t n = s.shape.numel();
  if (s.dtype == "int32" && s.quant_dtype.empty()) {
    Tensor t = Tensor::empty(s.shape, i32);
    std::memcpy(t.raw_data(), p, s.bytes);
    return t;
  }
  if (s.dtype == "bool") {
    Tensor t = Tensor::empty(s.shape, u8);
    std::memcpy(t.raw_data(), p, s.bytes);
    return t;
  }
  Tensor t = Tensor::empty(s.shape, s.dtype == "int32" ? i32 : f32);
  if (s.quant_dtype.empty()) {
    std::memcpy(t.raw_data(), p, s.bytes);
  } else if (s.quant_dtype == "float16") {
    for (int64_t i = 0; i < n; ++i) {
      uint16_t h;
      std::memcpy(&h, p + 2 * i, 2);
      float v = half_to_float(h);
      if (t.dtype() == i32) t.data<int32_t>()[i] = int32_t(v);
      else t.data<float>()[i] = v;
    }
  } else {
    // tfjs: value = quantized * scale + min
    float* out = t.data<float>();
    for (int64_t i = 0; i < n; ++i) {
      double q;
      if (s.quant_dtype == "uint8") q = double(uint8_t(p[i]));
      else {
        uint16_t h;
        std::memcpy(&h, p + 2 * i, 2);
        q = h;
      }
      out[i] = float(q * s.scale + s.min);
    }
  }
  return t;
}

std::string json_dir_path(const std::string& path, std::string* dir) {
  std::filesystem::path p(path);
  std::string file;
  if (p.extension() == ".json") {
    file = p.string();
    *dir = p.has_parent_path() ? p.parent_path().string() : ".";
  } else {
    *dir = p.string();
    file = (p / "model.json").string();
  }
  return file;
}

}  // namespace

std::vector<TfjsWeight> decode_tfjs_weights(const json& manifest, const ShardReader& read_shard,
                                            const std::string& origin) {
  if (!manifest.is_array()) throw IOError(origin + ": \"weightsManifest\" is not a list");
  std::vector<TfjsWeight> out;
  for (size_t g = 0; g < manifest.size(); ++g) {
    const json& group = manifest[g];
    const std::string where = detail::concat(origin, ": weightsManifest[", g, "]");
    if (!group.is_object() || !group.contains("paths") || !group["paths"].is_array() || !group.contains("weights") ||
        !group["weights"].is_array())
      throw IOError(where + " needs \"paths\" and \"weights\" lists");
    std::vector<Spec> specs;
    size_t need = 0;
    for (const auto& w : group["weights"]) {
      specs.push_back(parse_spec(w, where));
      need += specs.back().bytes;
    }
    std::string data;
    for (const auto& p : group["paths"]) {
      if (!p.is_string()) throw IOError(where + ": a shard path is not a string");
      data += read_shard(p.get<std::string>());
      if (data.size() > need) break;
    }
    if (data.size() != need)
      throw IOError(detail::concat(where, ": its shards ", group["paths"].dump(), " hold ", data.size(),
                                   data.size() > need ? " bytes or more" : " bytes", ", its ", specs.size(),
                                   " weights need ", need));
    size_t off = 0;
    for (const auto& s : specs) {
      out.push_back({s.name, decode(s, data.data() + off), s.group});
      off += s.bytes;
    }
  }
  return out;
}

TfjsShards encode_tfjs_weights(const std::vector<TfjsWeight>& weights, size_t shard_bytes, const std::string& prefix) {
  if (shard_bytes == 0) throw ValueError("encode_tfjs_weights: shard_bytes must be positive");
  json specs = json::array();
  std::string data;
  for (const auto& w : weights) {
    if (!w.value.defined()) throw ValueError("encode_tfjs_weights: weight '" + w.name + "' is an undefined tensor");
    const char* dtype = w.value.dtype() == f32 ? "float32" : w.value.dtype() == i32 ? "int32" : nullptr;
    if (!dtype)
      throw ValueError(detail::concat("encode_tfjs_weights: weight '", w.name, "' is ", dtype_name(w.value.dtype()),
                                      "; TF.js stores float32 and int32 only (convert it first)"));
    json spec = {{"name", w.name}, {"shape", w.value.shape().vec()}, {"dtype", dtype}};
    if (!w.group.empty()) spec["group"] = w.group;
    specs.push_back(spec);
    Tensor c = w.value.contiguous();
    data.append(static_cast<const char*>(c.raw_data()), c.nbytes());
  }
  TfjsShards out;
  const size_t n = std::max<size_t>(1, (data.size() + shard_bytes - 1) / shard_bytes);
  json paths = json::array();
  for (size_t i = 0; i < n; ++i) {
    std::string name = detail::concat(prefix, "-shard", i + 1, "of", n, ".bin");
    size_t begin = i * shard_bytes;
    out.shards.emplace_back(name, begin < data.size() ? data.substr(begin, shard_bytes) : std::string());
    paths.push_back(name);
  }
  out.manifest = json::array({{{"paths", paths}, {"weights", specs}}});
  return out;
}

TfjsModel parse_tfjs_model(std::string_view text, const ShardReader& read_shard, const std::string& origin) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    throw IOError(origin + ": not valid JSON: " + e.what());
  }
  if (!j.is_object()) throw IOError(origin + ": model.json must be a JSON object");
  TfjsModel m;
  if (j.contains("format")) {
    if (!j["format"].is_string()) throw IOError(origin + ": \"format\" is not a string");
    m.format = j["format"].get<std::string>();
  }
  if (m.format != "layers-model")
    throw IOError(origin + ": format '" + m.format +
                  "' is not a TF.js Layers model (graph models from tfjs-converter are not supported)");
  if (!j.contains("modelTopology")) throw IOError(origin + ": has no \"modelTopology\"");
  if (!j.contains("weightsManifest")) throw IOError(origin + ": has no \"weightsManifest\"");
  if (j.contains("generatedBy") && j["generatedBy"].is_string()) m.generated_by = j["generatedBy"].get<std::string>();
  m.converted_by = j.value("convertedBy", json(nullptr));
  m.model_topology = j["modelTopology"];
  m.weights = decode_tfjs_weights(j["weightsManifest"], read_shard, origin);
  for (auto& [k, v] : j.items())
    if (k != "format" && k != "generatedBy" && k != "convertedBy" && k != "modelTopology" && k != "weightsManifest")
      m.extra[k] = v;
  return m;
}

TfjsModel read_tfjs_model(const std::string& path) {
  std::string dir;
  const std::string file = json_dir_path(path, &dir);
  std::string text = read_file(file, "load_model");
  auto shard = [&](const std::string& rel) {
    std::filesystem::path p(rel);
    if (rel.empty() || p.is_absolute() || std::any_of(p.begin(), p.end(), [](const auto& c) { return c == ".."; }))
      throw IOError("'" + file + "': shard path '" + rel + "' must be relative and stay beside model.json");
    return read_file((std::filesystem::path(dir) / p).string(), "load_model ('" + file + "')");
  };
  return parse_tfjs_model(text, shard, file);
}

void write_tfjs_model(const std::string& path, const TfjsModel& m, size_t shard_bytes) {
  std::string dir;
  const std::string file = json_dir_path(path, &dir);
  TfjsShards s = encode_tfjs_weights(m.weights, shard_bytes);
  json j = m.extra.is_object() ? m.extra : json::object();
  j["format"] = m.format;
  j["generatedBy"] = m.generated_by;
  j["convertedBy"] = m.converted_by;
  j["modelTopology"] = m.model_topology;
  j["weightsManifest"] = s.manifest;
  // Shards first and model.json last: a reader never sees a model.json whose shards are not there yet.
  for (const auto& [name, bytes] : s.shards)
    write_file_atomic((std::filesystem::path(dir) / name).string(), bytes, "save_model");
  write_file_atomic(file, j.dump(), "save_model");
}

}  // namespace nabla::io
