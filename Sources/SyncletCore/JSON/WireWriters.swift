// The writers of the answers sent most often (see `JSONWritable`). Members are listed in
// the byte order of their keys, which is the order `.sortedKeys` writes them in.

extension Wire.Page: JSONWritable {
    public func writeJSON(to output: inout JSONOutput) throws {
        try output.object { members in
            try members.add("items", array: items)
            members.add("next_cursor", nextCursor)
        }
    }
}

extension Wire.Asset: JSONWritable {
    public func writeJSON(to output: inout JSONOutput) throws {
        try output.object { members in
            members.add("attachments", attachments)
            try members.add("audio", value: audio)
            try members.add("bpm", bpm)
            members.add("composer_name", composerName)
            members.add("created_at", createdAt)
            try members.add("duration_seconds", durationSeconds)
            try members.add("file", value: file)
            members.add("genres", genres)
            members.add("id", id)
            members.add("instruments", instruments)
            members.add("isrc", isrc)
            try members.add("key", value: key)
            members.add("kind", raw: kind)
            members.add("moods", moods)
            members.add("owner_id", ownerID)
            try members.add("preview", value: preview)
            members.add("published_at", publishedAt)
            members.add("role", role)
            try members.add("splits", array: splits)
            members.add("splits_inherited", splitsInherited)
            members.add("status", raw: status)
            try members.add("stems", array: stems)
            members.add("tags", tags)
            members.add("title", title)
            members.add("track_id", trackID)
            members.add("vocals", vocals)
        }
    }
}

extension Wire.StemSummary: JSONWritable {
    public func writeJSON(to output: inout JSONOutput) throws {
        try output.object { members in
            try members.add("duration_seconds", durationSeconds)
            members.add("id", id)
            members.add("role", role)
            members.add("status", raw: status)
            members.add("title", title)
        }
    }
}

extension Wire.AudioInfo: JSONWritable {
    public func writeJSON(to output: inout JSONOutput) throws {
        try output.object { members in
            members.add("bit_depth", bitDepth)
            members.add("channels", channels)
            members.add("container", container)
            try members.add("duration_seconds", durationSeconds)
            members.add("encoding", encoding)
            members.add("frames", frames)
            members.add("sample_rate", sampleRate)
        }
    }
}

extension Wire.FileInfo: JSONWritable {
    public func writeJSON(to output: inout JSONOutput) throws {
        output.object { members in
            members.add("byte_count", byteCount)
            members.add("filename", filename)
            members.add("sha256", sha256)
        }
    }
}

extension Wire.MusicalKeyInfo: JSONWritable {
    public func writeJSON(to output: inout JSONOutput) throws {
        output.object { members in
            members.add("camelot", camelot)
            members.add("name", name)
        }
    }
}

extension Wire.PreviewInfo: JSONWritable {
    public func writeJSON(to output: inout JSONOutput) throws {
        try output.object { members in
            members.add("detail", detail)
            try members.add("duration_seconds", durationSeconds)
            members.add("format", format)
            try members.add("start_seconds", startSeconds)
            members.add("status", status)
            members.add("watermark", watermark)
        }
    }
}

extension SplitShare: JSONWritable {
    public func writeJSON(to output: inout JSONOutput) throws {
        output.object { members in
            members.add("basis_points", basisPoints)
            members.add("party_id", partyID)
        }
    }
}

extension Envelope: JSONWritable {
    public func writeJSON(to output: inout JSONOutput) throws {
        output.object { members in
            members.add("attribution_required", attributionRequired)
            members.add("max_clip_seconds", maxClipSeconds)
            members.add("max_uses", maxUses)
            members.add("max_views", maxViews)
            members.add("media", media.map(\.rawValue))
            members.add("monetized", monetized)
            members.add("paid_ads", paidAds)
            members.add("platforms", platforms)
            members.add("stems_included", stemsIncluded)
            members.add("term_days", termDays)
            members.add("territories", territories)
        }
    }
}

extension IntendedUse: JSONWritable {
    public func writeJSON(to output: inout JSONOutput) throws {
        output.object { members in
            members.add("clip_seconds", clipSeconds)
            members.add("expected_views", expectedViews)
            members.add("media", raw: media)
            members.add("monetized", monetized)
            members.add("paid_ads", paidAds)
            members.add("platform", platform)
            members.add("term_days", termDays)
            members.add("territory", territory)
        }
    }
}
