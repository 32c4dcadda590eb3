#!/usr/bin/env python3
"""Fills a Synclet database with a generated catalog for the search benchmark.

Usage: generate_catalog.py DB COUNT PARTY_ID:NAME [PARTY_ID:NAME ...]

Writes COUNT assets (tracks, loops, stems) straight into the asset table in one
transaction; the FTS5 index is filled by the schema's own triggers. Deterministic (seeded).
Vocabulary: 3,000 title words drawn with a Zipf-like skew, 60 tags, 12 moods, 20 genres,
so common words are common and rare ones rare, as in a real catalog.
"""
import json, random, sqlite3, sys, time

db_path, count = sys.argv[1], int(sys.argv[2])
composers = [arg.split(":", 1) for arg in sys.argv[3:]]
rng = random.Random(20261121)

syllables = ["ka", "lo", "mi", "ra", "ven", "tor", "sil", "do", "ne", "ar", "qui", "bel", "zan", "ori", "pul", "sa", "te", "mo", "vu", "lin"]
title_words = sorted({"".join(rng.choice(syllables) for _ in range(rng.randint(2, 3))) for _ in range(6000)})[:3000]
weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(title_words))]
tags = ["cinematic", "lofi", "synthwave", "trap", "ambient", "acoustic", "upbeat", "dark", "chill", "epic", "corporate", "retro",
        "orchestral", "glitch", "dreamy", "gritty", "funky", "minimal", "anthemic", "hiphop"] + [f"tag{i}" for i in range(40)]
moods = ["happy", "tense", "calm", "sad", "bright", "moody", "energetic", "romantic", "mysterious", "playful", "angry", "hopeful"]
genres = ["pop", "rock", "electronic", "jazz", "classical", "folk", "house", "techno", "soul", "funk", "metal", "reggae", "latin",
          "country", "blues", "drill", "afrobeat", "kpop", "dnb", "garage"]
camelots = [f"{n}{m}" for n in range(1, 13) for m in "AB"]
key_names = {}
majors = ["C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
minors = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "G#", "A", "Bb", "B"]
for pc in range(12):
    key_names[f"{((pc * 7) % 12 + 7) % 12 + 1}B"] = f"{majors[pc]} major"
    key_names[f"{(((pc + 3) % 12 * 7) % 12 + 7) % 12 + 1}A"] = f"{minors[pc]} minor"

alphabet = "0123456789abcdefghjkmnpqrstvwxyz"
def ulid(ms):
    value = (ms << 80) | rng.getrandbits(80)
    return "".join(alphabet[(value >> (5 * i)) & 31] for i in reversed(range(26)))

conn = sqlite3.connect(db_path)
conn.execute("PRAGMA journal_mode = WAL")
conn.execute("PRAGMA synchronous = NORMAL")  # generation only; the server itself runs FULL
start = time.time()
tracks = {owner: [] for owner, _ in composers}
rows = []
base_ms = 1_760_000_000_000
for index in range(count):
    owner, _ = composers[rng.randrange(len(composers))]
    roll = rng.random()
    kind = "track" if roll < 0.5 else ("loop" if roll < 0.8 else "stem")
    if kind == "stem" and not tracks[owner]:
        kind = "loop"
    asset_id = "ast_" + ulid(base_ms + index)
    track_id = rng.choice(tracks[owner][-50:]) if kind == "stem" else None
    if kind == "track":
        tracks[owner].append(asset_id)
    status = "published" if rng.random() < 0.9 else ("draft" if rng.random() < 0.7 else "withdrawn")
    title = " ".join(w.capitalize() for w in rng.choices(title_words, weights, k=rng.randint(1, 3)))
    camelot = rng.choice(camelots) if rng.random() < 0.85 else None
    rows.append((asset_id, owner, kind, track_id, status, title, float(rng.randint(60, 180)) if rng.random() < 0.9 else None,
                 key_names.get(camelot) if camelot else None, camelot,
                 json.dumps(rng.sample(tags, rng.randint(0, 4))), json.dumps(rng.sample(moods, rng.randint(1, 2))),
                 json.dumps(rng.sample(genres, 1)), json.dumps([]), 1 if rng.random() < 0.3 else 0,
                 "a" * 64, 1000, "wav", "pcm_16", 44100, 2, 44100, rng.randint(5_000, 300_000), base_ms + index, base_ms + index))
    if len(rows) == 50_000:
        conn.executemany("""INSERT INTO asset (id, owner_id, kind, track_id, status, title, bpm, musical_key, camelot, tags, moods,
            genres, instruments, vocals, blob_sha256, byte_count, container, encoding, sample_rate, channels, frames, duration_ms,
            created_at, updated_at, preview_status) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,'none')""", rows)
        rows = []
if rows:
    conn.executemany("""INSERT INTO asset (id, owner_id, kind, track_id, status, title, bpm, musical_key, camelot, tags, moods,
        genres, instruments, vocals, blob_sha256, byte_count, container, encoding, sample_rate, channels, frames, duration_ms,
        created_at, updated_at, preview_status) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,'none')""", rows)
conn.commit()
conn.execute("ANALYZE")
conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
conn.close()
print(f"generated {count} assets in {time.time() - start:.1f} s; common title word: {title_words[0]}, mid: {title_words[300]}")
