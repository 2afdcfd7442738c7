#include "nabla/serve/server_config.h"

#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

#include "nabla/core/error.h"
#include "nabla/serve/text_proto.h"

namespace nabla::serve {

namespace {

struct Ctx {
  const std::string& source;
  [[noreturn]] void fail(const TextProtoField& f, const std::string& what) const {
    throw ValueError(source + ":" + std::to_string(f.line) + ": " + what);
  }
  void need_message(const TextProtoField& f) const {
    if (!f.is_message) fail(f, "field '" + f.name + "' is a message; write " + f.name + " { ... }");
  }
  void need_scalar(const TextProtoField& f) const {
    if (f.is_message) fail(f, "field '" + f.name + "' takes a value; write " + f.name + ": <value>");
  }
  int64_t integer(const TextProtoField& f) const {
    need_scalar(f);
    int64_t v = 0;
    const char* b = f.scalar.data();
    const char* e = b + f.scalar.size();
    auto [p, ec] = std::from_chars(b, e, v);
    if (f.quoted || ec != std::errc() || p != e) fail(f, "field '" + f.name + "' expects an integer, got '" + f.scalar + "'");
    return v;
  }
  std::string string(const TextProtoField& f) const {
    need_scalar(f);
    if (!f.quoted) fail(f, "field '" + f.name + "' expects a quoted string, got " + f.scalar);
    return f.scalar;
  }
  bool boolean(const TextProtoField& f) const {
    need_scalar(f);
    if (f.scalar == "true" || f.scalar == "True" || f.scalar == "1") return true;
    if (f.scalar == "false" || f.scalar == "False" || f.scalar == "0") return false;
    fail(f, "field '" + f.name + "' expects true or false, got '" + f.scalar + "'");
  }
  // google.protobuf.Int64Value: `name { value: N }`; a plain `name: N` is accepted too.
  int64_t wrapped_integer(const TextProtoField& f) const {
    if (!f.is_message) return integer(f);
    int64_t v = 0;
    for (const auto& g : f.message->fields) {
      if (g.name != "value") fail(g, "unknown field '" + g.name + "' in " + f.name + " (google.protobuf.Int64Value)");
      v = integer(g);
    }
    return v;
  }
  [[noreturn]] void unknown(const TextProtoField& f, const char* message_name) const {
    fail(f, "unknown field '" + f.name + "' in " + message_name);
  }
};

VersionPolicy parse_policy(const Ctx& c, const TextProtoField& pf) {
  c.need_message(pf);
  VersionPolicy p;
  int kinds = 0;
  for (const auto& f : pf.message->fields) {
    c.need_message(f);
    ++kinds;
    if (f.name == "latest") {
      p.kind = VersionPolicy::Kind::kLatest;
      for (const auto& g : f.message->fields) {
        if (g.name != "num_versions") c.unknown(g, "ModelVersionPolicy.Latest");
        p.num_versions = c.integer(g);
        if (p.num_versions < 1) c.fail(g, "num_versions must be at least 1");
      }
    } else if (f.name == "all") {
      p.kind = VersionPolicy::Kind::kAll;
      if (!f.message->fields.empty()) c.unknown(f.message->fields[0], "ModelVersionPolicy.All");
    } else if (f.name == "specific") {
      p.kind = VersionPolicy::Kind::kSpecific;
      for (const auto& g : f.message->fields) {
        if (g.name != "versions") c.unknown(g, "ModelVersionPolicy.Specific");
        p.versions.push_back(c.integer(g));
      }
      if (p.versions.empty()) c.fail(f, "specific version policy lists no versions");
    } else {
      c.unknown(f, "ModelVersionPolicy");
    }
  }
  if (kinds > 1) c.fail(pf, "model_version_policy sets more than one of latest, all, specific");
  return p;
}

ModelConfig parse_model_config(const Ctx& c, const TextProtoField& cf) {
  c.need_message(cf);
  ModelConfig m;
  for (const auto& f : cf.message->fields) {
    if (f.name == "name") m.name = c.string(f);
    else if (f.name == "base_path") m.base_path = c.string(f);
    else if (f.name == "model_platform") m.model_platform = c.string(f);
    else if (f.name == "model_version_policy") m.version_policy = parse_policy(c, f);
    else if (f.name == "version_labels") {
      c.need_message(f);
      std::string key;
      int64_t value = -1;
      bool has_key = false, has_value = false;
      for (const auto& g : f.message->fields) {
        if (g.name == "key") key = c.string(g), has_key = true;
        else if (g.name == "value") value = c.integer(g), has_value = true;
        else c.unknown(g, "version_labels entry");
      }
      if (!has_key || !has_value) c.fail(f, "version_labels needs a key and a value");
      m.version_labels[key] = value;
    } else {
      c.unknown(f, "ModelConfig");
    }
  }
  if (m.name.empty()) c.fail(cf, "model config has no name");
  if (m.base_path.empty()) c.fail(cf, "model config '" + m.name + "' has no base_path");
  return m;
}

}  // namespace

std::vector<ModelConfig> parse_model_config_list(const std::string& text, const std::string& source) {
  const Ctx c{source};
  const TextProtoMessage root = parse_text_proto(text, source);
  std::vector<ModelConfig> models;
  std::set<std::string> names;
  for (const auto& f : root.fields) {
    if (f.name != "model_config_list") c.unknown(f, "ModelServerConfig");
    c.need_message(f);
    for (const auto& g : f.message->fields) {
      if (g.name != "config") c.unknown(g, "ModelConfigList");
      ModelConfig m = parse_model_config(c, g);
      if (!names.insert(m.name).second) c.fail(g, "model name '" + m.name + "' is configured twice");
      models.push_back(std::move(m));
    }
  }
  if (models.empty()) throw ValueError(source + ": no model_config_list { config { ... } } entries");
  return models;
}

BatchingParameters parse_batching_parameters(const std::string& text, const std::string& source) {
  const Ctx c{source};
  const TextProtoMessage root = parse_text_proto(text, source);
  BatchingParameters p;
  for (const auto& f : root.fields) {
    if (f.name == "max_batch_size") p.max_batch_size = c.wrapped_integer(f);
    else if (f.name == "batch_timeout_micros") p.batch_timeout_micros = c.wrapped_integer(f);
    else if (f.name == "max_enqueued_batches") p.max_enqueued_batches = c.wrapped_integer(f);
    else if (f.name == "num_batch_threads") p.num_batch_threads = c.wrapped_integer(f);
    else if (f.name == "allowed_batch_sizes") p.allowed_batch_sizes.push_back(c.integer(f));
    else if (f.name == "pad_variable_length_inputs") p.pad_variable_length_inputs = c.boolean(f);
    else c.unknown(f, "BatchingParameters");
  }
  auto check = [&](bool ok, const std::string& what) {
    if (!ok) throw ValueError(source + ": " + what);
  };
  check(p.max_batch_size >= 1, "max_batch_size must be at least 1");
  check(p.batch_timeout_micros >= 0, "batch_timeout_micros must not be negative");
  check(p.max_enqueued_batches >= 1, "max_enqueued_batches must be at least 1");
  check(p.num_batch_threads >= 0, "num_batch_threads must not be negative");
  // TF Serving's rules (batching_session.cc): increasing, and the last one is max_batch_size.
  for (size_t i = 0; i < p.allowed_batch_sizes.size(); ++i) {
    check(p.allowed_batch_sizes[i] >= 1, "allowed_batch_sizes entries must be positive");
    check(i == 0 || p.allowed_batch_sizes[i] > p.allowed_batch_sizes[i - 1],
          "allowed_batch_sizes entries must be monotonically increasing");
  }
  check(p.allowed_batch_sizes.empty() || p.allowed_batch_sizes.back() == p.max_batch_size,
        "final entry in allowed_batch_sizes must equal max_batch_size");
  return p;
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IOError("cannot open " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace nabla::serve
