-- 0010: the language a source's feed declares (RSS <language>, Atom
-- xml:lang, JSON Feed "language"), '' when none, from its last parsed
-- document. Article pages say it in lang (issue 19): kept per source, the
-- smallest place, as every article of a feed shares the feed's language.
ALTER TABLE sources ADD COLUMN language TEXT NOT NULL DEFAULT '';
