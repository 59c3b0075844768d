#!/usr/bin/env python3
"""Writes the metadata-only tensor lists (names, dtypes, shapes; no weights) of the released Wan
VAEs, from the layer tables of the architecture spec (section 3.2 for Wan2.1, 3.4 for Wan2.2;
official names as in the ComfyUI files). The C++ tests check that config detection reads the
right configuration from them. Run from this folder: python3 make_wan_vae_shape_lists.py"""
import json


def conv3(t, name, cout, cin, k=3):
    t[name + ".weight"] = [cout, cin, k, k, k]
    t[name + ".bias"] = [cout]


def res(t, p, cin, cout):
    t[p + "residual.0.gamma"] = [cin, 1, 1, 1]
    conv3(t, p + "residual.2", cout, cin)
    t[p + "residual.3.gamma"] = [cout, 1, 1, 1]
    conv3(t, p + "residual.6", cout, cout)
    if cin != cout:
        conv3(t, p + "shortcut", cout, cin, 1)


def attn(t, p, c):
    t[p + "norm.gamma"] = [c, 1, 1]
    t[p + "to_qkv.weight"] = [3 * c, c, 1, 1]
    t[p + "to_qkv.bias"] = [3 * c]
    t[p + "proj.weight"] = [c, c, 1, 1]
    t[p + "proj.bias"] = [c]


def resample(t, p, c, out, time):
    """time: None, "down" (C -> C, kernel 3x1x1) or "up" (C -> 2C)."""
    if time == "down":
        t[p + "time_conv.weight"] = [c, c, 3, 1, 1]
        t[p + "time_conv.bias"] = [c]
    elif time == "up":
        t[p + "time_conv.weight"] = [2 * c, c, 3, 1, 1]
        t[p + "time_conv.bias"] = [2 * c]
    t[p + "resample.1.weight"] = [out, c, 3, 3]
    t[p + "resample.1.bias"] = [out]


def middle(t, side, c):
    res(t, side + "middle.0.", c, c)
    attn(t, side + "middle.1.", c)
    res(t, side + "middle.2.", c, c)


def wan21():
    t = {}
    # Encoder, spec §3.2 table (flat downsamples list).
    conv3(t, "encoder.conv1", 96, 3)
    enc = [("res", 96, 96), ("res", 96, 96), ("down2d", 96), ("res", 96, 192), ("res", 192, 192),
           ("down3d", 192), ("res", 192, 384), ("res", 384, 384), ("down3d", 384),
           ("res", 384, 384), ("res", 384, 384)]
    for i, e in enumerate(enc):
        p = "encoder.downsamples.%d." % i
        if e[0] == "res":
            res(t, p, e[1], e[2])
        else:
            resample(t, p, e[1], e[1], "down" if e[0] == "down3d" else None)
    middle(t, "encoder.", 384)
    t["encoder.head.0.gamma"] = [384, 1, 1, 1]
    conv3(t, "encoder.head.2", 32, 384)
    conv3(t, "conv1", 32, 32, 1)
    conv3(t, "conv2", 16, 16, 1)
    # Decoder.
    conv3(t, "decoder.conv1", 384, 16)
    middle(t, "decoder.", 384)
    dec = [("res", 384, 384)] * 3 + [("up3d", 384, 192), ("res", 192, 384), ("res", 384, 384),
                                     ("res", 384, 384), ("up3d", 384, 192)] + \
        [("res", 192, 192)] * 3 + [("up2d", 192, 96)] + [("res", 96, 96)] * 3
    for i, e in enumerate(dec):
        p = "decoder.upsamples.%d." % i
        if e[0] == "res":
            res(t, p, e[1], e[2])
        else:
            resample(t, p, e[1], e[2], "up" if e[0] == "up3d" else None)
    t["decoder.head.0.gamma"] = [96, 1, 1, 1]
    conv3(t, "decoder.head.2", 3, 96)
    return t


def wan22():
    t = {}
    # Encoder, spec §3.4: conv1 12 -> 160, four levels of two residual blocks + a resample.
    conv3(t, "encoder.conv1", 160, 12)
    levels = [(160, 160, "down2d"), (160, 320, "down3d"), (320, 640, "down3d"), (640, 640, None)]
    for i, (cin, cout, mode) in enumerate(levels):
        p = "encoder.downsamples.%d.downsamples." % i
        res(t, p + "0.", cin, cout)
        res(t, p + "1.", cout, cout)
        if mode:
            resample(t, p + "2.", cout, cout, "down" if mode == "down3d" else None)
    middle(t, "encoder.", 640)
    t["encoder.head.0.gamma"] = [640, 1, 1, 1]
    conv3(t, "encoder.head.2", 96, 640)
    conv3(t, "conv1", 96, 96, 1)
    conv3(t, "conv2", 48, 48, 1)
    # Decoder: conv1 48 -> 1024, four levels of three residual blocks + a resample (C -> C).
    conv3(t, "decoder.conv1", 1024, 48)
    middle(t, "decoder.", 1024)
    levels = [(1024, 1024, "up3d"), (1024, 1024, "up3d"), (1024, 512, "up2d"), (512, 256, None)]
    for i, (cin, cout, mode) in enumerate(levels):
        p = "decoder.upsamples.%d.upsamples." % i
        res(t, p + "0.", cin, cout)
        res(t, p + "1.", cout, cout)
        res(t, p + "2.", cout, cout)
        if mode:
            resample(t, p + "3.", cout, cout, "up" if mode == "up3d" else None)
    t["decoder.head.0.gamma"] = [256, 1, 1, 1]
    conv3(t, "decoder.head.2", 12, 256)
    return t


def dump(path, tensors, dtype):
    with open(path, "w") as f:
        json.dump({k: {"dtype": dtype, "shape": v} for k, v in sorted(tensors.items())}, f,
                  separators=(",", ":"))
        f.write("\n")


dump("wan_2.1_vae.json", wan21(), "F16")
dump("wan2.2_vae.json", wan22(), "F16")
