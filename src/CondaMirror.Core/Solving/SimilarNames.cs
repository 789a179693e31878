namespace CondaMirror.Core.Solving;

/// <summary>"Did you mean" suggestions: names that extend the query (pypy → pypy3.9) or are a few edits away.</summary>
internal static class SimilarNames
{
    public static IReadOnlyList<string> Find(string query, IEnumerable<string> names, int max = 5)
    {
        var q = query.ToLowerInvariant();
        var scored = new List<(int Score, string Name)>();
        var limit = Math.Max(2, q.Length / 3);
        foreach (var name in names)
        {
            if (name.Length == 0 || name == q) continue;
            var n = name.ToLowerInvariant();
            int score;
            if (n.StartsWith(q, StringComparison.Ordinal)) score = n.Length - q.Length; // extensions first, shortest first
            else if (Math.Abs(n.Length - q.Length) > limit) continue;
            else
            {
                var d = Distance(q, n, limit);
                if (d > limit) continue;
                score = 100 + d;
            }
            scored.Add((score, name));
        }
        return scored.OrderBy(s => s.Score).ThenBy(s => s.Name, StringComparer.Ordinal)
            .Take(max).Select(s => s.Name).ToList();
    }

    /// <summary>Levenshtein distance, giving up (returning limit + 1) once it exceeds the limit.</summary>
    private static int Distance(string a, string b, int limit)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) prev[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            var rowMin = cur[0];
            for (var j = 1; j <= b.Length; j++)
            {
                cur[j] = Math.Min(Math.Min(prev[j] + 1, cur[j - 1] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
                rowMin = Math.Min(rowMin, cur[j]);
            }
            if (rowMin > limit) return limit + 1;
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }
}
