"""Learning from the field: lab-confirmed photos into the reference set, signed updates.

- :mod:`~idtool.learn.labels`: typed taxon or material names read as class labels;
- :mod:`~idtool.learn.confirmed_sources`: readers of confirmed records (case packages,
  post state folders; a hub reader plugs into the same protocol);
- :mod:`~idtool.learn.field_import`: confirmed originals into the catalog, with provenance
  and one group per seized item;
- :mod:`~idtool.learn.update_keys`, :mod:`~idtool.learn.update_package`,
  :mod:`~idtool.learn.update_install`: signed update packages, their checks and their
  atomic installation (with rollback) on a post.
"""
