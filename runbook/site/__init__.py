"""The runbook site: markdown pages rendered from the model, built by mkdocs-material.

- ``pages.pages(loaded)``: every site page, ``{path: markdown}`` (the one list of pages;
  see its module docstring for how other parts of the tool add pages, e.g. lint rules).
- ``pages.single_file(loaded, header)``: the same fragments as one ``DEPLOYMENT-RUNBOOK.md``.
- ``plugin.RunbookPlugin``: the mkdocs plugin (entry point ``runbook``) that adds the pages
  to any mkdocs build, so plain ``mkdocs build --strict`` works.
- ``export.export_docs``: the pages, assets and a matching config on disk, for any markdown
  site builder; ``export.build_with_zensical``: the site built by Zensical from them.

Heavy imports (mkdocs) stay inside ``plugin`` and ``mkdocs_build`` so the CLI starts fast.
"""

#: Site builders of `runbook build --builder`: mkdocs (mkdocs-material, the default), Zensical.
BUILDERS = ("mkdocs", "zensical")
