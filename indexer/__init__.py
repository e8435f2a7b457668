"""advosearch indexer: parse archive files, analyse their text, write a Whoosh index."""
