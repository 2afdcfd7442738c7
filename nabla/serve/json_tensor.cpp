#include "nabla/serve/json_tensor.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <set>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include "nabla/serve/serve_error.h"

namespace nabla::serve {

namespace {

using Value = rapidjson::Value;

[[noreturn]] void invalid(const std::string& msg) { throw ServeError(StatusCode::kInvalidArgument, msg); }

void append_string_literal(std::string& out, const char* s, size_t n) {
  out += '"';
  for (size_t i = 0; i < n; ++i) {
    const char c = s[i];
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", unsigned(static_cast<unsigned char>(c)));
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
}

void debug_string(const Value& v, std::string& out, int depth) {
  constexpr size_t kMax = 256;
  if (out.size() >= kMax) return;
  if (v.IsArray() || v.IsObject()) {
    if (depth > 16) {
      out += "...";
      return;
    }
    if (v.IsObject()) {
      out += '{';
      bool first = true;
      for (auto it = v.MemberBegin(); it != v.MemberEnd() && out.size() < kMax; ++it) {
        if (!first) out += ',';
        first = false;
        append_string_literal(out, it->name.GetString(), std::min<size_t>(it->name.GetStringLength(), kMax));
        out += ':';
        debug_string(it->value, out, depth + 1);
      }
      out += '}';
    } else {
      out += '[';
      for (rapidjson::SizeType i = 0; i < v.Size() && out.size() < kMax; ++i) {
        if (i) out += ',';
        debug_string(v[i], out, depth + 1);
      }
      out += ']';
    }
  } else if (v.IsString()) {
    append_string_literal(out, v.GetString(), std::min<size_t>(v.GetStringLength(), kMax));
  } else if (v.IsNumber()) {
    if (v.IsInt64()) out += std::to_string(v.GetInt64());
    else if (v.IsUint64()) out += std::to_string(v.GetUint64());
    else out += format_decimal(float(v.GetDouble()));
  } else if (v.IsBool()) {
    out += v.GetBool() ? "true" : "false";
  } else {
    out += "null";
  }
  if (out.size() > kMax) out.resize(kMax);
}

std::string debug_string(const Value& v) {
  std::string out;
  debug_string(v, out, 0);
  return out;
}

// TF Serving's JsonTypeString.
const char* json_type_string(const Value& v) {
  switch (v.GetType()) {
    case rapidjson::kNullType: return "Null";
    case rapidjson::kFalseType: return "False";
    case rapidjson::kTrueType: return "True";
    case rapidjson::kObjectType: return "Object";
    case rapidjson::kArrayType: return "Array";
    case rapidjson::kStringType: return "String";
    case rapidjson::kNumberType: return "Number";
  }
  return "Unknown";
}

bool is_b64_object(const Value& v) {
  return v.IsObject() && v.MemberCount() == 1 && std::strcmp(v.MemberBegin()->name.GetString(), "b64") == 0;
}

const Value* find_member(const Value& obj, const char* name) {
  auto it = obj.FindMember(name);
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

// The shape of a dense JSON tensor, following the first element of each list (GetDenseTensorShape). A b64 leaf
// at depth d stands for the rest of the tensor: its dimensions come from `known_rest` (the signature's dims for
// this item, -1 unknown). Returns the number of levels written as JSON lists.
int dense_shape(const Value& v, const Shape& known_rest, bool rest_known, Shape* shape) {
  const Value* cur = &v;
  int levels = 0;
  while (cur->IsArray()) {
    if (shape->size() >= Shape::kMaxDims)
      invalid("JSON Value: " + debug_string(v) + " nests lists deeper than " + std::to_string(Shape::kMaxDims) +
              " levels");
    shape->push_back(int64_t(cur->Size()));
    ++levels;
    if (cur->Empty()) return levels;
    cur = &(*cur)[0];
  }
  if (is_b64_object(*cur)) {
    if (!rest_known || levels > known_rest.size())
      invalid("JSON Value: " + debug_string(*cur) +
              " is b64 data for a float input whose shape the signature does not give past level " +
              std::to_string(levels));
    for (int i = levels; i < known_rest.size(); ++i) {
      if (known_rest[i] < 0)
        invalid("JSON Value: " + debug_string(*cur) + " is b64 data for a float input whose dimension " +
                std::to_string(i) + " the signature leaves open");
      shape->push_back(known_rest[i]);
    }
  }
  return levels;
}

int64_t numel_from(const Shape& s, int from) {
  int64_t n = 1;
  for (int i = from; i < s.size(); ++i) n *= s[i];
  return n;
}

// Writes the values of `val` (a dense tensor of `shape`, lists down to `levels`) to out[*count...]
// (FillTensorProto).
void fill_values(const Value& val, int level, int levels, const Shape& shape, float* out, int64_t* count) {
  if (!val.IsArray()) {
    if (level != levels) {
      invalid("JSON Value: " + debug_string(val) + " found at incorrect level: " + std::to_string(level + 1) +
              " in the JSON DOM. Expected at level: " + std::to_string(levels));
    }
    if (val.IsNumber()) {
      out[(*count)++] = float(val.GetDouble());
    } else if (is_b64_object(val) && val.MemberBegin()->value.IsString()) {
      std::string bytes;
      const Value& s = val.MemberBegin()->value;
      if (!base64_decode(std::string_view(s.GetString(), s.GetStringLength()), &bytes))
        invalid("Unable to base64 decode");
      const int64_t n = numel_from(shape, level);
      if (int64_t(bytes.size()) != n * int64_t(sizeof(float)))
        invalid("JSON Value: " + debug_string(val) + " decodes to " + std::to_string(bytes.size()) +
                " bytes, but the remaining shape " + shape_string(Shape(shape.begin() + level, shape.end())) +
                " needs " + std::to_string(n * sizeof(float)) + " bytes of float32");
      if (!bytes.empty()) std::memcpy(out + *count, bytes.data(), bytes.size());
      *count += n;
    } else if (is_b64_object(val)) {
      invalid("JSON Value: " + debug_string(val) + " not formatted correctly for base64 data");
    } else {
      invalid("JSON Value: " + debug_string(val) + " Type: " + json_type_string(val) +
              " is not of expected type: float");
    }
    return;
  }
  if (level >= levels) {
    invalid("Encountered list at unexpected level: " + std::to_string(level) + " expected < " +
            std::to_string(levels));
  }
  if (int64_t(val.Size()) != shape[level]) {
    invalid("Encountered list at unexpected size: " + std::to_string(val.Size()) + " at level: " +
            std::to_string(level) + " expected size: " + std::to_string(shape[level]));
  }
  for (const auto& v : val.GetArray()) fill_values(v, level + 1, levels, shape, out, count);
}

// The shape the signature gives an item from dimension `from` on (row format: 1, columnar: 0).
bool signature_rest(const TensorInfo& info, int from, Shape* rest) {
  if (info.unknown_rank || info.shape.size() < from) return false;
  *rest = Shape(info.shape.begin() + from, info.shape.end());
  return true;
}

void check_against_signature(const TensorInfo& info, const Shape& got, const std::string& signature_name) {
  if (info.unknown_rank) return;
  bool ok = got.size() == info.shape.size();
  for (int i = 0; ok && i < got.size(); ++i) ok = info.shape[i] < 0 || info.shape[i] == got[i];
  if (!ok) {
    invalid("Input '" + info.name + "' has shape " + shape_string(got) + ", but signature '" +
            (signature_name.empty() ? kDefaultServingSignature : signature_name) + "' expects " +
            shape_string(info.shape) + " (-1: any size)");
  }
}

std::string status_prefixed(const ServeError& e) { return std::string(status_code_name(e.code)) + ": " + e.what(); }

struct RowItem {
  Shape shape;  // of one instance
  int levels = 0;
  std::vector<float> values;
};

// One element's value for one input (AddInstanceItem): the first element fixes the shape the others must have.
void add_instance_item(const Value& item, const TensorInfo& info, size_t n_instances, size_t index, RowItem* acc) {
  Shape rest;
  const bool rest_known = signature_rest(info, 1, &rest);
  Shape shape;
  const int levels = dense_shape(item, rest, rest_known, &shape);
  const int64_t size = shape.numel();
  if (index == 0) {
    acc->shape = shape;
    acc->levels = levels;
    acc->values.resize(size_t(size) * n_instances);
  } else if (acc->shape.numel() != size) {
    invalid("Expecting tensor size: " + std::to_string(acc->shape.numel()) + " but got: " + std::to_string(size));
  } else if (!(acc->shape == shape)) {
    invalid("Expecting shape " + shape_string(acc->shape) + " but got: " + shape_string(shape));
  }
  int64_t count = 0;
  fill_values(item, 0, levels, shape, acc->values.data() + index * size, &count);
}

Tensor to_tensor(std::vector<float>& values, const Shape& shape) {
  Tensor t = Tensor::empty(shape, f32);
  if (!values.empty()) std::memcpy(t.raw_data(), values.data(), values.size() * sizeof(float));
  return t;
}

std::vector<Tensor> tensors_from_instances(const Value& instances, const Signature& sig) {
  const Value& first = instances[0];
  const bool elements_are_objects = first.IsObject() && !is_b64_object(first);
  if (!first.IsObject() && sig.inputs.size() > 1) {
    invalid("instances is a plain list, but expecting list of objects as multiple input tensors required as per "
            "tensorinfo_map");
  }
  std::set<std::string> input_names;
  for (const auto& in : sig.inputs) input_names.insert(in.name);
  std::string names_joined;
  for (const auto& n : input_names) {
    if (!names_joined.empty()) names_joined += ',';
    names_joined += n;
  }

  const size_t n = instances.Size();
  std::vector<RowItem> items(sig.inputs.size());
  for (size_t i = 0; i < n; ++i) {
    const Value& elem = instances[rapidjson::SizeType(i)];
    const bool is_object = elem.IsObject() && !is_b64_object(elem);
    if (elements_are_objects) {
      if (!is_object) invalid("Expecting object but got list at item " + std::to_string(i) + " of input list");
      std::set<std::string> keys;
      for (auto it = elem.MemberBegin(); it != elem.MemberEnd(); ++it) {
        const std::string name(it->name.GetString(), it->name.GetStringLength());
        keys.insert(name);
        try {
          size_t k = 0;
          while (k < sig.inputs.size() && sig.inputs[k].name != name) ++k;
          if (k == sig.inputs.size()) invalid("JSON object: does not have named input: " + name);
          add_instance_item(it->value, sig.inputs[k], n, i, &items[k]);
        } catch (const ServeError& e) {
          invalid("Failed to process element: " + std::to_string(i) + " key: " + name +
                  " of 'instances' list. Error: " + status_prefixed(e));
        }
      }
      if (keys != input_names) {
        invalid("Failed to process element: " + std::to_string(i) + " of 'instances' list. JSON object: " +
                debug_string(elem) + " keys must be equal to: " + names_joined);
      }
    } else {
      if (is_object) invalid("Expecting value/list but got object at item " + std::to_string(i) + " of input list");
      try {
        add_instance_item(elem, sig.inputs[0], n, i, &items[0]);
      } catch (const ServeError& e) {
        invalid("Failed to process element: " + std::to_string(i) + " of 'instances' list. Error: " +
                status_prefixed(e));
      }
    }
  }
  std::vector<Tensor> out;
  for (size_t k = 0; k < sig.inputs.size(); ++k) {
    Shape shape = items[k].shape;
    if (shape.size() >= Shape::kMaxDims) invalid("Input '" + sig.inputs[k].name + "' has too many dimensions");
    shape.insert(0, int64_t(n));
    out.push_back(to_tensor(items[k].values, shape));
  }
  return out;
}

Tensor tensor_from_value(const Value& val, const TensorInfo& info) {
  Shape rest;
  const bool rest_known = signature_rest(info, 0, &rest);
  Shape shape;
  const int levels = dense_shape(val, rest, rest_known, &shape);
  std::vector<float> values(size_t(shape.numel()));
  int64_t count = 0;
  fill_values(val, 0, levels, shape, values.data(), &count);
  return to_tensor(values, shape);
}

std::vector<Tensor> tensors_from_inputs(const Value& val, const Signature& sig) {
  if (!val.IsObject() || is_b64_object(val)) {
    if (sig.inputs.size() > 1) {
      invalid("inputs is a plain value/list, but expecting an object as multiple input tensors required as per "
              "tensorinfo_map");
    }
    return {tensor_from_value(val, sig.inputs[0])};
  }
  std::vector<Tensor> out;
  for (const auto& in : sig.inputs) {
    const Value* item = find_member(val, in.name.c_str());
    if (!item) invalid("Missing named input: " + in.name + " in 'inputs' object.");
    out.push_back(tensor_from_value(*item, in));
  }
  return out;
}

// TF Serving's ParseJson: rapidjson with NaN/Infinity, iteratively (no recursion on deep nesting), stopping
// after the top-level value; it must be an object.
void parse_object(std::string_view body, rapidjson::Document* doc) {
  if (body.empty()) invalid("JSON Parse error: The document is empty");
  constexpr unsigned kFlags = rapidjson::kParseIterativeFlag | rapidjson::kParseNanAndInfFlag |
                              rapidjson::kParseStopWhenDoneFlag;
  doc->Parse<kFlags>(body.data(), body.size());
  if (doc->HasParseError()) {
    invalid(std::string("JSON Parse error: ") + rapidjson::GetParseError_En(doc->GetParseError()) +
            " at offset: " + std::to_string(doc->GetErrorOffset()));
  }
  if (!doc->IsObject()) invalid("JSON Value: " + debug_string(*doc) + " Is not object");
}

std::string signature_name_of(const rapidjson::Document& doc) {
  const Value* s = find_member(doc, "signature_name");
  if (!s) return "";
  if (!s->IsString())
    invalid("JSON Value: " + debug_string(doc) +
            " not formatted correctly. 'signature_name' key must be a string value.");
  return std::string(s->GetString(), s->GetStringLength());
}

// --- writing ---

void append_value(std::string& out, const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DType::f32: out += format_decimal(t.data<float>()[i]); break;
    case DType::f64: out += format_decimal(float(t.data<double>()[i])); break;
    case DType::i32: out += std::to_string(t.data<int32_t>()[i]); break;
    case DType::i64: out += std::to_string(t.data<int64_t>()[i]); break;
    case DType::u8: out += std::to_string(int(t.data<uint8_t>()[i])); break;
  }
}

// Values of t from dimension `dim` on, starting at flat index *offset (AddTensorValues).
void append_tensor(std::string& out, const Tensor& t, int dim, int64_t* offset) {
  const Shape& s = t.shape();
  if (dim >= s.size()) {
    append_value(out, t, (*offset)++);
    return;
  }
  out += '[';
  for (int64_t i = 0; i < s[dim]; ++i) {
    if (i) out += ", ";
    append_tensor(out, t, dim + 1, offset);
  }
  out += ']';
}

}  // namespace

PredictRequest parse_predict_request(std::string_view body, const SignatureLookup& lookup) {
  rapidjson::Document doc;
  parse_object(body, &doc);
  PredictRequest req;
  req.signature_name = signature_name_of(doc);
  const Signature& sig = lookup(req.signature_name);
  if (sig.inputs.empty()) {
    invalid("Failed to get input map for signature: " +
            (req.signature_name.empty() ? std::string("DEFAULT") : req.signature_name));
  }
  const Value* instances = find_member(doc, "instances");
  const Value* inputs = find_member(doc, "inputs");
  if (instances && inputs) {
    invalid("JSON Value: " + debug_string(doc) +
            " Not formatted correctly expecting only one of 'inputs' or 'instances' keys to exist ");
  }
  if (instances) {
    if (!instances->IsArray())
      invalid("JSON Value: " + debug_string(doc) + " Expecting 'instances' to be an list/array");
    if (instances->Empty()) invalid("JSON Value: " + debug_string(doc) + " No values in 'instances' array");
    req.format = JsonFormat::kRow;
    req.inputs = tensors_from_instances(*instances, sig);
  } else if (inputs) {
    req.format = JsonFormat::kColumnar;
    req.inputs = tensors_from_inputs(*inputs, sig);
  } else {
    invalid("Missing 'inputs' or 'instances' key");
  }
  for (size_t k = 0; k < sig.inputs.size(); ++k)
    check_against_signature(sig.inputs[k], req.inputs[k].shape(), req.signature_name);
  if (req.format == JsonFormat::kRow || sig.inputs.size() > 1) {
    // The model runs all inputs as one batch.
    for (size_t k = 1; k < req.inputs.size(); ++k) {
      if (req.inputs[k].shape().size() == 0 || req.inputs[0].shape().size() == 0 ||
          req.inputs[k].shape()[0] != req.inputs[0].shape()[0])
        invalid("Input '" + sig.inputs[k].name + "' has shape " + shape_string(req.inputs[k].shape()) +
                ", whose batch size differs from input '" + sig.inputs[0].name + "' with shape " +
                shape_string(req.inputs[0].shape()));
    }
  }
  return req;
}

std::string parse_classify_request(std::string_view body, bool classify) {
  rapidjson::Document doc;
  parse_object(body, &doc);
  const std::string sig = signature_name_of(doc);
  const char* method = classify ? "classify" : "regress";
  const Value* examples = find_member(doc, "examples");
  if (!examples)
    invalid("JSON Value: " + debug_string(doc) + " When method is " + method +
            ", key 'examples' is expected and was not found");
  if (!examples->IsArray()) invalid("JSON Value: " + debug_string(doc) + " Expecting 'examples' value to be an list/array");
  if (examples->Empty()) invalid("JSON Value: " + debug_string(doc) + " 'examples' value is an empty array");
  return sig;
}

std::string predict_response_json(const Signature& sig, const std::vector<Tensor>& outputs, JsonFormat format) {
  if (outputs.empty()) invalid("Cannot convert empty tensor map to JSON");
  auto name_of = [&](size_t i) { return i < sig.outputs.size() ? sig.outputs[i].name : "output_" + std::to_string(i); };
  std::vector<Tensor> ts;
  for (const auto& t : outputs) ts.push_back(t.contiguous());
  std::string out;
  out.reserve(64 + size_t(ts[0].numel()) * 12);
  if (format == JsonFormat::kRow) {
    int64_t batch = -1;
    for (size_t i = 0; i < ts.size(); ++i) {
      if (ts[i].shape().size() == 0) invalid("Tensor name: " + name_of(i) + " has no shape information ");
      const int64_t b = ts[i].shape()[0];
      if (batch >= 0 && b != batch)
        invalid("Tensor name: " + name_of(i) + " has inconsistent batch size: " + std::to_string(b) +
                " expecting: " + std::to_string(batch));
      batch = b;
    }
    std::vector<int64_t> offsets(ts.size(), 0);
    out += "{\"predictions\": [";
    for (int64_t item = 0; item < batch; ++item) {
      if (item) out += ", ";
      if (ts.size() > 1) out += '{';
      for (size_t i = 0; i < ts.size(); ++i) {
        if (ts.size() > 1) {
          if (i) out += ", ";
          const std::string nm = name_of(i);
          append_string_literal(out, nm.data(), nm.size());
          out += ": ";
        }
        append_tensor(out, ts[i], 1, &offsets[i]);
      }
      if (ts.size() > 1) out += '}';
    }
    out += "]}";
  } else {
    out += "{\"outputs\": ";
    if (ts.size() > 1) out += '{';
    for (size_t i = 0; i < ts.size(); ++i) {
      if (ts.size() > 1) {
        if (i) out += ", ";
        const std::string nm = name_of(i);
          append_string_literal(out, nm.data(), nm.size());
        out += ": ";
      }
      int64_t offset = 0;
      append_tensor(out, ts[i], 0, &offset);
    }
    if (ts.size() > 1) out += '}';
    out += '}';
  }
  return out;
}

std::string format_decimal(float v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v < 0 ? "-Infinity" : "Infinity";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", double(v));
  if (std::strtof(buf, nullptr) != v) std::snprintf(buf, sizeof buf, "%.9g", double(v));
  std::string s = buf;
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

std::string base64_encode(std::string_view bytes) {
  static const char* const kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v = uint32_t(uint8_t(bytes[i])) << 16 | uint32_t(uint8_t(bytes[i + 1])) << 8 | uint8_t(bytes[i + 2]);
    for (int k = 3; k >= 0; --k) out += kAlphabet[(v >> (6 * k)) & 63];
  }
  if (i < bytes.size()) {
    uint32_t v = uint32_t(uint8_t(bytes[i])) << 16;
    if (i + 1 < bytes.size()) v |= uint32_t(uint8_t(bytes[i + 1])) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

bool base64_decode(std::string_view text, std::string* out) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return false;
  out->clear();
  out->reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const int v = value(c);
    if (v < 0) return false;
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(char((acc >> bits) & 0xff));
    }
  }
  return true;
}

}  // namespace nabla::serve
