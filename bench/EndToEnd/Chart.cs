namespace Presence.Bench.EndToEnd;

/// <summary>docs/e2e-loss.svg: loss per heartbeat (and, dashed, the old lost-users share) against the rate actually sent.</summary>
internal static class Chart
{
    public static void Write(IReadOnlyList<Ladder> ladders, string path, int perFrame, int repeat)
    {
        var model = new OxyPlot.PlotModel
        {
            Title = "Heartbeats lost against heartbeats/s sent (end to end, 127.0.0.1)",
            Subtitle = $"{Environment.ProcessorCount} cores, {Machine.CpuModel()}; {perFrame} heartbeat(s) a datagram; medians of {repeat}; " +
                "lost = a user's latest heartbeat not in the store after the receiver drained",
            Background = OxyPlot.OxyColors.White,
        };
        model.Axes.Add(new OxyPlot.Axes.LogarithmicAxis
        {
            Position = OxyPlot.Axes.AxisPosition.Bottom, Title = "heartbeats/s actually sent by presence-loadgen (median)", Base = 2,
            StringFormat = "#,0", MajorGridlineStyle = OxyPlot.LineStyle.Dot,
        });
        model.Axes.Add(new OxyPlot.Axes.LinearAxis
        {
            Position = OxyPlot.Axes.AxisPosition.Left, Title = "lost (%, median)", Minimum = 0,
            MajorGridlineStyle = OxyPlot.LineStyle.Dot,
        });
        model.Legends.Add(new OxyPlot.Legends.Legend { LegendPosition = OxyPlot.Legends.LegendPosition.TopLeft });
        foreach (var ladder in ladders)
        {
            var color = ladder.System == SystemKind.Presence ? OxyPlot.OxyColor.FromRgb(0x1f, 0x77, 0xb4) : OxyPlot.OxyColor.FromRgb(0xd6, 0x27, 0x28);
            var perHeartbeat = new OxyPlot.Series.LineSeries
            {
                Title = $"{Report.Name(ladder.System)}: heartbeats lost (per heartbeat)",
                Color = color,
                MarkerType = ladder.System == SystemKind.Presence ? OxyPlot.MarkerType.Circle : OxyPlot.MarkerType.Square,
                MarkerSize = 4,
            };
            var old = new OxyPlot.Series.LineSeries
            {
                Title = $"{Report.Name(ladder.System)}: users with no key (old metric)",
                Color = color,
                LineStyle = OxyPlot.LineStyle.Dash,
                MarkerType = OxyPlot.MarkerType.None,
            };
            // x is the rate the generator reached, so no point claims a rate that was not sent.
            foreach (var r in ladder.Points.OrderBy(r => r.OfferedRate))
            {
                perHeartbeat.Points.Add(new OxyPlot.DataPoint(r.SentRate, r.LossPercent));
                old.Points.Add(new OxyPlot.DataPoint(r.SentRate, r.LostUsersPercent));
            }
            model.Series.Add(perHeartbeat);
            model.Series.Add(old);
        }
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
            Directory.CreateDirectory(directory);
        using var stream = File.Create(path);
        new OxyPlot.SvgExporter { Width = 900, Height = 520 }.Export(model, stream);
    }
}
