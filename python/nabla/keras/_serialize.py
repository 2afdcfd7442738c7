"""Keras's serialized-object form, which nabla's C++ registries read: the Python classes of nabla.keras turn their
keyword arguments into {"module", "class_name", "config", "registered_name"} and let C++ build the object, so
the argument names are exactly Keras's (and nabla checks them)."""
import json


def plain(v):
    """A config value as JSON: tuples as lists, nabla.keras objects (initializers, regularizers) as their
    serialized form."""
    if hasattr(v, "_serialized"):
        return v._serialized()
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if hasattr(v, "item") and callable(v.item):  # numpy scalars
        return v.item()
    return v


def serialized(module, class_name, config):
    return json.dumps({"module": module, "class_name": class_name, "config": plain(config),
                       "registered_name": None})


def check_known(kind, class_name, given, cpp_config_json, extra=()):
    """Keras raises TypeError for an argument the class does not take; so does nabla (the C++ class's config
    names every argument it takes)."""
    known = set(json.loads(cpp_config_json)) | set(extra)
    unknown = sorted(k for k in given if k not in known)
    if unknown:
        raise TypeError(f"{class_name}: unrecognized keyword argument(s) {unknown} for this {kind} "
                        f"(it takes: {sorted(known)})")
