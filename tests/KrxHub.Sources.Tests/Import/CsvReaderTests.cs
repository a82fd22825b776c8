using KrxHub.Sources.Import;

namespace KrxHub.Sources.Tests.Import;

public class CsvReaderTests
{
    private static List<string[]> ReadAll(string text, int bufferSize)
    {
        using var csv = new CsvReader(new StringReader(text), bufferSize);
        var records = new List<string[]>();
        while (csv.Read())
        {
            records.Add([.. Enumerable.Range(0, csv.FieldCount).Select(csv.GetString)]);
        }

        return records;
    }

    public static TheoryData<int> BufferSizes => [2, 3, 5, 7, 64, 1 << 16];

    [Theory]
    [MemberData(nameof(BufferSizes))]
    public void Quoted_fields_doubled_quotes_commas_and_line_breaks_in_quotes_are_read_per_RFC_4180(int bufferSize)
    {
        const string text = "a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n1,,\"\"\n";

        var records = ReadAll(text, bufferSize);

        Assert.Equal(3, records.Count);
        Assert.Equal(["a", "b", "c"], records[0]);
        Assert.Equal(["x, y", "say \"hi\"", "two\nlines"], records[1]);
        Assert.Equal(["1", "", ""], records[2]);
    }

    [Theory]
    [MemberData(nameof(BufferSizes))]
    public void The_last_record_may_lack_a_line_terminator_and_blank_lines_are_skipped(int bufferSize)
    {
        var records = ReadAll("h1,h2\n\n1,2\r\n\r\n3,\"4\"", bufferSize);

        Assert.Equal([["h1", "h2"], ["1", "2"], ["3", "4"]], records);
    }

    [Theory]
    [MemberData(nameof(BufferSizes))]
    public void Slices_of_the_record_text_equal_the_field_strings(int bufferSize)
    {
        // Quoted, doubled quotes (not a slice: a string of its own), malformed, empty, CRLF, an empty last field at the end.
        const string text = "a,\"b,1\",\"say \"\"hi\"\"\"\r\n5\"6,\"ab\"c,,7\r\n\"two\nlines\",8,\r";
        using var csv = new CsvReader(new StringReader(text), bufferSize);
        var records = 0;
        while (csv.Read())
        {
            records++;
            var recordText = csv.RecordText.ToString();
            for (var i = 0; i < csv.FieldCount; i++)
            {
                Assert.Equal(csv.GetString(i), csv.GetSlice(i, recordText).ToString());
            }
        }

        Assert.Equal(3, records);
    }

    [Fact]
    public void The_record_text_is_the_line_without_its_terminator_and_records_are_numbered_without_blank_lines()
    {
        using var csv = new CsvReader(new StringReader("h\r\n\r\n\"a,b\",c\r\n"), 4);

        Assert.True(csv.Read());
        Assert.True(csv.Read());
        Assert.Equal("\"a,b\",c", csv.RecordText.ToString());
        Assert.Equal(2, csv.RecordNumber);
        Assert.False(csv.Read());
    }

    [Fact]
    public void A_quote_inside_an_unquoted_field_is_literal_and_text_after_a_closing_quote_keeps_the_field_verbatim()
    {
        var records = ReadAll("5\"6,\"ab\"c,d\n", 64);

        Assert.Equal([["5\"6", "\"ab\"c", "d"]], records);
    }

    [Fact]
    public void An_unterminated_quote_runs_to_the_end_of_the_file_and_comes_back_verbatim()
    {
        var records = ReadAll("a,\"b\nc,d", 64);

        Assert.Equal([["a", "\"b\nc,d"]], records);
    }

    [Fact]
    public void Repeated_short_values_are_returned_as_the_same_string_instance()
    {
        using var csv = new CsvReader(new StringReader("005930,\"a\"\"b\"\n005930,\"a\"\"b\"\n000660,x\n"));

        csv.Read();
        var first = csv.GetPooledString(0);
        var escaped = csv.GetPooledString(1);
        csv.Read();
        var second = csv.GetPooledString(0);
        csv.Read();
        var third = csv.GetPooledString(0);

        Assert.Same(first, second);
        Assert.Equal("a\"b", escaped);
        Assert.Equal("000660", third);
    }

    [Fact]
    public async Task Async_reading_gives_the_same_records_as_sync_reading()
    {
        const string text = "a,b\n\"1\n2\",3\n4,5";
        using var csv = new CsvReader(new StringReader(text), 3);
        var records = new List<string[]>();
        while (await csv.ReadAsync(CancellationToken.None))
        {
            records.Add([.. Enumerable.Range(0, csv.FieldCount).Select(csv.GetString)]);
        }

        Assert.Equal(ReadAll(text, 3), records);
    }
}
