#pragma once
// A reader for protobuf's text format, enough for the files tensorflow_model_server reads as text protos
// (--model_config_file's ModelServerConfig, --batching_parameters_file's BatchingParameters): fields
// `name: scalar`, `name { ... }` / `name: { ... }` / `name < ... >`, repeated fields written again or as
// `name: [a, b]`, single- or double-quoted strings (adjacent ones concatenated, C escapes), numbers,
// identifiers (true, enum values), `#` comments, optional `;`/`,` separators. The result is a tree that the
// config readers (server_config.h) check against their messages, naming the file and line of an unknown field.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace nabla::serve {

struct TextProtoMessage;

struct TextProtoField {
  std::string name;
  int line = 0;
  bool is_message = false;
  std::string scalar;   // the token, or the unescaped string
  bool quoted = false;  // scalar was a string literal
  std::shared_ptr<TextProtoMessage> message;
};

struct TextProtoMessage {
  std::vector<TextProtoField> fields;
};

// Throws ValueError "<source>:<line>: <what>" on a syntax error.
TextProtoMessage parse_text_proto(std::string_view text, const std::string& source);

}  // namespace nabla::serve
