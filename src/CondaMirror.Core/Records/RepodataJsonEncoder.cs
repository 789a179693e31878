using System.Text.Encodings.Web;

namespace CondaMirror.Core.Records;

/// <summary>
/// The JSON escaping conda's tools use: non-ASCII text and characters like '&lt;' '&gt;' '+' stay literal
/// (System.Text.Json's default would escape them, giving different bytes than upstream for e.g. "&gt;=1.2").
/// </summary>
public static class RepodataJsonEncoder
{
    public static readonly JavaScriptEncoder Instance = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
}
