// Archives: stem packs and bundles through libarchive.
