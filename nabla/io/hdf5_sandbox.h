#pragma once
// Reading HDF5 files that come from outside without trusting libhdf5 with them. Debian 12's libhdf5 1.10.8 has
// memory-safety bugs on corrupt files (heap overflows in its global heap and attribute decoders, leaks on error
// paths; found by fuzz/keras_h5_fuzz and keras_archive_fuzz), which no amount of checking in front of it closes.
// So the untrusted image is read in a child process, which writes a fresh copy of everything nabla's readers use
// (groups, datasets, string attributes) with libhdf5's own writer and sends it back; the caller then reads the copy,
// which is well-formed by construction. A corrupt file costs the child, never the caller: it becomes an IOError
// naming the file. Internal to io/.
#include <string>
#include <string_view>

namespace nabla::io::h5 {

// The clean copy of an untrusted HDF5 image (see above). Throws IOError naming `origin` when the image is not
// readable, when the child dies on it (the signal is named) or takes longer than the time limit (30 s and 0.1 ms
// per KB; NABLA_HDF5_SANITIZER_TIMEOUT, in seconds, overrides it). Thread-safe.
// The child is forked per image by one persistent helper process, the program tools/nabla-hdf5-sanitize (found
// as NABLA_HDF5_SANITIZER, else in the build tree or the installed libexec/nabla), started at the first image
// and talked to over a socket pair; a helper that dies or hangs is killed, that image is an error, and the next
// image starts a new one. Without the program (NABLA_HDF5_SANITIZER set to ""), the child is a fork of the
// caller per image.
std::string sanitized_image(std::string_view image, const std::string& origin);

// The persistent helper's process id in this process, -1 when none is running (for tests).
long sanitizer_helper_pid();

// The helper program's main: with `--serve`, answers images until its input closes (the protocol is in
// hdf5_sandbox.cpp); otherwise reads one image on stdin (argv[1] names it in messages), answers on stdout, exits.
int sanitizer_main(int argc, char** argv);

}  // namespace nabla::io::h5
