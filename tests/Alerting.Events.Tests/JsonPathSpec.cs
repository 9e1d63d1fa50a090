using System.Text;

namespace Alerting.Events.Tests;

public sealed class JsonPathSpec
{
    private static readonly byte[] Doc = Encoding.UTF8.GetBytes("""
        {"Message":"Fault","Param":{"ErrCode":101,"Extra":{"code":"X7","ratio":0.25,"ok":false,"deep":{"n":null},
         "list":[10,{"name":"second"},[true,"x"]]},"odd name":3,"Big":1e400},"DeviceNumber":42}
        """);

    [Theory]
    [InlineData("$.Param.Extra.code", "X7")]
    [InlineData("Param.Extra.code", "X7")]
    [InlineData("$.Param.ErrCode", "101")]
    [InlineData("$.Param.Extra.ratio", "0.25")]
    [InlineData("$.Param.Extra.ok", "false")]
    [InlineData("$.Param.Extra.list[0]", "10")]
    [InlineData("$.Param.Extra.list[1].name", "second")]
    [InlineData("Param.Extra.list[2][0]", "true")]
    [InlineData("$['Param']['odd name']", "3")]
    [InlineData("$.Param['odd name']", "3")]
    public void A_json_path_must_read_members_and_indexes(string path, string expected)
    {
        Assert.Equal(expected, JsonPath.Compile(path).Read(Doc).ToString());
    }

    [Fact]
    public void A_json_path_must_give_typed_values()
    {
        Assert.Equal(FieldValue.FromInteger(101), JsonPath.Compile("Param.ErrCode").Read(Doc));
        Assert.Equal(FieldType.Integer, JsonPath.Compile("Param.ErrCode").Read(Doc).Type);
        Assert.Equal(FieldType.Number, JsonPath.Compile("Param.Extra.ratio").Read(Doc).Type);
        Assert.Equal(FieldType.String, JsonPath.Compile("Param.Extra.code").Read(Doc).Type);
        Assert.Equal(FieldType.Boolean, JsonPath.Compile("Param.Extra.ok").Read(Doc).Type);
    }

    [Theory]
    [InlineData("$.Param.Extra.nope")]
    [InlineData("$.Param.Extra.deep.n")]
    [InlineData("$.Param.Extra.deep")]
    [InlineData("$.Param.Extra.list")]
    [InlineData("$.Param.Extra.list[3]")]
    [InlineData("$.Param.Extra.code.more")]
    [InlineData("$.Param.ErrCode[0]")]
    [InlineData("$.Param.Big")]
    public void A_json_path_must_read_missing_where_no_scalar_is(string path)
    {
        Assert.True(JsonPath.Compile(path).Read(Doc).IsMissing);
    }

    [Fact]
    public void A_json_path_must_read_missing_from_broken_json_instead_of_throwing()
    {
        Assert.True(JsonPath.Compile("Param.ErrCode").Read("{\"Param\":{\"Err"u8).IsMissing);
        Assert.True(JsonPath.Compile("Param.ErrCode").Read([]).IsMissing);
    }

    [Fact]
    public void A_json_path_must_read_from_a_decoded_events_payload()
    {
        var ev = new EventDecoder(new SourceDefinition(), new ManualTimeProvider(DateTimeOffset.UnixEpoch.AddYears(60)))
            .Decode(Doc, new RecordOrigin("t", 0, 0));
        Assert.False(ev.IsOk);
        var withTime = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Doc).Replace("\"ErrCode\":101", "\"ErrCode\":101,\"Timestamp\":0", StringComparison.Ordinal));
        var decoded = new EventDecoder(new SourceDefinition(), new ManualTimeProvider()).Decode(withTime, new RecordOrigin("t", 0, 0)).Event!;
        Assert.Equal("second", JsonPath.Compile("$.Param.Extra.list[1].name").Read(decoded).String);
    }

    [Theory]
    [InlineData("")]
    [InlineData("$")]
    [InlineData("$x")]
    [InlineData("Param..ErrCode")]
    [InlineData("Param.")]
    [InlineData("Param[1")]
    [InlineData("Param[x]")]
    [InlineData("Param['']")]
    public void A_json_path_must_reject_bad_syntax_at_compile_time(string path)
    {
        var ex = Assert.Throws<FormatException>(() => JsonPath.Compile(path));
        Assert.Contains("invalid JSON path", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_json_path_must_print_its_normal_form()
    {
        Assert.Equal("$.Param.Extra.code", JsonPath.Compile("Param.Extra.code").Text);
        Assert.Equal("$.a[2]['b c']", JsonPath.Compile("$['a'][2]['b c']").Text);
        Assert.True(JsonPath.Compile("a.b").IsMembersOnly);
        Assert.False(JsonPath.Compile("a[0]").IsMembersOnly);
    }
}
