// nabla-convert IN OUT: converts a model between the file formats load_model reads and save_model writes; the
// format follows each path (see nabla/io/model_file.h). The output is written through a temporary name, so a
// failed conversion leaves any previous OUT in place.
#include <CLI/CLI.hpp>

#include <iostream>

#include "nabla/io/model_file.h"

int main(int argc, char** argv) {
  CLI::App app{"Converts a nabla/Keras model file to another format (the format follows each path's extension)"};
  std::string in, out;
  bool no_compile = false, no_optimizer = false;
  app.add_option("IN", in, "model to read")->required();
  app.add_option("OUT", out, "file to write")->required();
  app.add_flag("--no-compile", no_compile, "load without the compile config (the output holds none)");
  app.add_flag("--no-optimizer", no_optimizer, "leave the optimizer and its state out of OUT");
  CLI11_PARSE(app, argc, argv);
  try {
    std::shared_ptr<nabla::Model> model = nabla::load_model(in, {.compile = !no_compile});
    nabla::save_model(*model, out, {.include_optimizer = !no_optimizer && model->compiled()});
    std::cout << in << " -> " << out << ": model '" << model->name() << "', " << model->layers().size()
              << " layers, " << model->count_params() << " parameters"
              << (model->compiled() && !no_optimizer ? ", with its optimizer state" : "") << "\n";
  } catch (const std::exception& e) {
    std::cerr << "nabla-convert: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
