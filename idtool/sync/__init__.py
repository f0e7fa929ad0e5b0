"""The post's side of hub sync: ``idtool sync`` pushes what the hub lacks.

Owns the post's checkpoint for each hub, reading what the evidence store holds (through
its public functions) and the HTTP client that pushes it: custody entries first, then
the record versions the hub needs, then originals in resumable chunks.

May import: the evidence store.
"""
