"""PyTorch cross-check cases for the sequence-model layers: LayerNormalization and MultiHeadAttention.

Imported by make_fixtures.py (which seeds each case by its name and encodes the returned tensors); kept in its own
file so that work on the recurrent layers does not collide with it. Inputs are float32 values widened to
float64; expected values are computed in float64. Weights are stored in Keras's layout, the mapping from
PyTorch's is written out here:
  torch in_proj_weight [3E, E] (rows q | k | v; y = x W^T + b, output index = head * head_dim + d)
    -> Keras query/key/value EinsumDense kernels [E, heads, key_dim] = W^T reshaped, biases [heads, key_dim];
  torch out_proj.weight [E, heads * head_dim] -> Keras output kernel [heads, value_dim, E] = W^T reshaped.
"""

CASES = []


def _case(fn):
    CASES.append(fn)
    return fn


def _rnd(g, *shape, lo=-1.0, hi=1.0):
    import torch
    return (torch.rand(*shape, generator=g, dtype=torch.float32) * (hi - lo) + lo).to(torch.float64)


def _randn(g, *shape):
    import torch
    return torch.randn(*shape, generator=g, dtype=torch.float32).to(torch.float64)


@_case
def layer_norm(g):
    import torch
    import torch.nn.functional as F
    # An offset and a spread so that the mean subtraction matters; Keras's epsilon (1e-3), not torch's 1e-5.
    x = _rnd(g, 4, 6, 10, lo=-3, hi=5)
    gamma, beta, gy = _rnd(g, 10, lo=0.5, hi=1.5), _rnd(g, 10), _randn(g, 4, 6, 10)
    out = {"x": x, "gamma": gamma, "beta": beta, "gy": gy}
    xs = [t.clone().requires_grad_(True) for t in (x, gamma, beta)]
    y = F.layer_norm(xs[0], (10,), xs[1], xs[2], eps=1e-3)
    y.backward(gy)
    out.update({"y": y, "dx": xs[0].grad, "dgamma": xs[1].grad, "dbeta": xs[2].grad})
    # Two trailing axes (Keras axis=[-2, -1]), gamma/beta of shape [6, 10].
    gamma2, beta2 = _rnd(g, 6, 10, lo=0.5, hi=1.5), _rnd(g, 6, 10)
    xs = [t.clone().requires_grad_(True) for t in (x, gamma2, beta2)]
    y2 = F.layer_norm(xs[0], (6, 10), xs[1], xs[2], eps=1e-3)
    y2.backward(gy)
    out.update({"gamma2": gamma2, "beta2": beta2, "y2": y2, "dx2": xs[0].grad, "dgamma2": xs[1].grad,
                "dbeta2": xs[2].grad})
    return out


def _mha(g, e, heads, q, k, v, attn_mask=None, key_padding_mask=None):
    """torch.nn.MultiheadAttention on (q, k, v) with random weights; everything in Keras's layout."""
    import torch
    hd = e // heads
    mha = torch.nn.MultiheadAttention(e, heads, bias=True, batch_first=True).double()
    with torch.no_grad():
        mha.in_proj_weight.copy_(_rnd(g, 3 * e, e, lo=-0.5, hi=0.5))
        mha.in_proj_bias.copy_(_rnd(g, 3 * e, lo=-0.2, hi=0.2))
        mha.out_proj.weight.copy_(_rnd(g, e, e, lo=-0.5, hi=0.5))
        mha.out_proj.bias.copy_(_rnd(g, e, lo=-0.2, hi=0.2))
    ins = [t.clone().requires_grad_(True) for t in (q, k, v)]
    y, w = mha(*ins, attn_mask=attn_mask, key_padding_mask=key_padding_mask, need_weights=True,
               average_attn_weights=False)
    gy = _randn(g, *y.shape)
    y.backward(gy)

    def kernel(wt):  # torch [E_out, E_in] -> Keras [E_in, heads, head_dim]
        return wt.t().reshape(e, heads, hd)

    W, B = mha.in_proj_weight, mha.in_proj_bias
    out = {"query": q, "key": k, "value": v, "gy": gy, "y": y, "scores": w,
           "dquery": ins[0].grad, "dkey": ins[1].grad, "dvalue": ins[2].grad,
           "output_kernel": mha.out_proj.weight.t().reshape(heads, hd, e), "output_bias": mha.out_proj.bias,
           "doutput_kernel": mha.out_proj.weight.grad.t().reshape(heads, hd, e),
           "doutput_bias": mha.out_proj.bias.grad}
    for i, name in enumerate(("query", "key", "value")):
        rows = slice(i * e, (i + 1) * e)
        out[f"{name}_kernel"] = kernel(W[rows])
        out[f"{name}_bias"] = B[rows].reshape(heads, hd)
        out[f"d{name}_kernel"] = kernel(W.grad[rows])
        out[f"d{name}_bias"] = B.grad[rows].reshape(heads, hd)
    return {k: val.detach() for k, val in out.items()}


@_case
def mha_self_causal(g):
    """Self-attention (query = key = value) with Keras's use_causal_mask (torch: an upper-triangular attn_mask)."""
    import torch
    x = _rnd(g, 2, 5, 8)
    t = x.shape[1]
    causal = torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=1)  # True = may not attend
    out = _mha(g, 8, 2, x, x, x, attn_mask=causal)
    # torch sees three inputs; for self-attention nabla's single input gets the sum of their gradients.
    out["dx"] = out["dquery"] + out["dkey"] + out["dvalue"]
    return out


@_case
def mha_cross_padding(g):
    """Cross-attention with distinct query, key and value, and a padding mask on the keys of sample 1 (Keras's
    value mask from Embedding(mask_zero=True); torch's key_padding_mask)."""
    import torch
    q, k, v = _rnd(g, 2, 3, 12), _rnd(g, 2, 6, 12), _rnd(g, 2, 6, 12)
    pad = torch.zeros(2, 6, dtype=torch.bool)
    pad[1, 4:] = True
    out = _mha(g, 12, 3, q, k, v, key_padding_mask=pad)
    out["value_mask"] = (~pad).to(torch.float64)
    return out
