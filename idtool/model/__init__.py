"""The model: everything that turns image bytes into an embedding.

Owns the model bundle (``model.json`` + weights, verified and strictly loaded), bundle
discovery, the timm backbone and the checkpoint key remap, decoding (OpenCV, EXIF
orientation, size limits) and preprocessing, the runtimes (PyTorch eager, ONNX Runtime),
the ONNX export and the nearest-neighbour index.

May import: the foundation modules (``idtool.errors``, ``idtool.types``, ``idtool.config``,
``idtool.hashing``). Knows no database and makes no decisions.
"""
