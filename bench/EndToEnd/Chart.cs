using Presence.Testing;

namespace Presence.Bench.EndToEnd;

/// <summary>docs/e2e-loss.svg: loss per heartbeat (and, dashed, the old lost-users share; dotted, the loss at stop when judged) against the rate actually sent.</summary>
internal static class Chart
{
    public static void Write(IReadOnlyList<Ladder> ladders, string path, int perFrame, int repeat)
    {
        var model = new OxyPlot.PlotModel
        {
            Title = "Heartbeats lost against heartbeats/s sent, end to end",
            // The key is in the subtitle, not a legend: the exporter's legend box is measured
            // narrower than its text renders, and clips it.
            Subtitle = $"{Environment.ProcessorCount} cores ({Machine.CpuModel()}), {perFrame} heartbeat(s) a datagram, medians of {repeat}\n" +
                "blue circles: presence-ingest; red squares: presence-baseline (one awaited SET per heartbeat, 50 connections)\n" +
                "solid: users whose latest heartbeat the store lacks after the drain; dashed: users with no key at all (the old metric)" +
                (ladders.Any(l => l.Points.Any(p => p.JudgedAtStop)) ? "\ndotted: users whose latest heartbeat the store lacked when sending stopped (receiver frozen 1 s after the last send)" : ""),
            Background = OxyPlot.OxyColors.White,
            // Arial or its metric twins (Liberation Sans, Arimo) are everywhere; the default Segoe UI is not.
            DefaultFont = "Arial",
            Padding = new OxyPlot.OxyThickness(8, 8, 24, 8),
        };
        model.Axes.Add(new OxyPlot.Axes.LogarithmicAxis
        {
            Position = OxyPlot.Axes.AxisPosition.Bottom, Title = "heartbeats/s actually sent by presence-loadgen (median)", Base = 10,
            StringFormat = "#,0", MajorGridlineStyle = OxyPlot.LineStyle.Dot, MinorGridlineStyle = OxyPlot.LineStyle.Dot,
            MinorGridlineColor = OxyPlot.OxyColor.FromRgb(0xe8, 0xe8, 0xe8),
        });
        model.Axes.Add(new OxyPlot.Axes.LinearAxis
        {
            Position = OxyPlot.Axes.AxisPosition.Left, Title = "lost (%, median)", Minimum = 0, AxisTitleDistance = 10,
            MajorGridlineStyle = OxyPlot.LineStyle.Dot,
        });
        foreach (var ladder in ladders)
        {
            var color = ladder.System == SystemKind.Presence ? OxyPlot.OxyColor.FromRgb(0x1f, 0x77, 0xb4) : OxyPlot.OxyColor.FromRgb(0xd6, 0x27, 0x28);
            var perHeartbeat = new OxyPlot.Series.LineSeries
            {
                Title = $"{Report.Name(ladder.System)}: latest heartbeat lost",
                Color = color,
                MarkerType = ladder.System == SystemKind.Presence ? OxyPlot.MarkerType.Circle : OxyPlot.MarkerType.Square,
                MarkerSize = 4,
            };
            var old = new OxyPlot.Series.LineSeries
            {
                Title = $"{Report.Name(ladder.System)}: no key (old)",
                Color = color,
                LineStyle = OxyPlot.LineStyle.Dash,
                MarkerType = OxyPlot.MarkerType.None,
            };
            var atStop = new OxyPlot.Series.LineSeries
            {
                Title = $"{Report.Name(ladder.System)}: latest heartbeat not in the store at stop",
                Color = color,
                LineStyle = OxyPlot.LineStyle.Dot,
                MarkerType = OxyPlot.MarkerType.None,
            };
            // x is the rate the generator reached, so no point claims a rate that was not sent.
            foreach (var r in ladder.Points.OrderBy(r => r.OfferedRate))
            {
                perHeartbeat.Points.Add(new OxyPlot.DataPoint(r.SentRate, r.LossPercent));
                old.Points.Add(new OxyPlot.DataPoint(r.SentRate, r.LostUsersPercent));
                if (r.JudgedAtStop)
                    atStop.Points.Add(new OxyPlot.DataPoint(r.SentRate, r.LossAtStopPercent));
            }
            model.Series.Add(perHeartbeat);
            model.Series.Add(old);
            if (atStop.Points.Count > 0)
                model.Series.Add(atStop);
        }
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
            Directory.CreateDirectory(directory);
        using var stream = File.Create(path);
        // Vertical alignment by offsets, not dominant-baseline, which not every SVG renderer honours.
        new OxyPlot.SvgExporter { Width = 900, Height = 560, UseVerticalTextAlignmentWorkaround = true }.Export(model, stream);
    }
}
