//! Folding a tall layered drawing into side-by-side columns, so that a deep, mostly
//! single-chain model (hundreds of ranks, a few boxes wide) frames at Fit as a readable block
//! instead of a hair-thin column. Ranks are cut into bands of about equal height, each cut
//! chosen near its ideal place where the fewest edges cross it; each band becomes a column.
//! An edge crossing a cut leaves its column at the bottom, runs up the gap to the right of it
//! and enters the next column from above (each crossing edge in its own lane). Geometry only.

use super::sugiyama::Placed;

/// Horizontal gap between two columns (lanes of crossing edges run in it).
const COL_GAP: f32 = 110.0;
/// Room above and below each column for the crossing edges' horizontal runs (plus a lane
/// for each of them).
const MARGIN: f32 = 28.0;
/// Distance between two lanes.
const LANE: f32 = 7.0;

/// Fold `p` (boxes of `sizes`) into columns when it is much taller than `aspect` (width over
/// height of the view it is shown in) asks for; otherwise leave it as it is. Returns the
/// number of columns.
pub fn wrap(p: &mut Placed, sizes: &[[f32; 2]], aspect: f32) -> usize {
    let n = sizes.len();
    let [w, h] = p.size;
    if n < 8 || w <= 0.0 || h <= 0.0 || p.rank.len() != n || p.pos.len() != n {
        return 1;
    }
    // Columns k with k*w / (h/k) ≈ aspect; only worth it from 2 up.
    let k = ((aspect * h / w).sqrt()).round() as usize;
    if k < 2 {
        return 1;
    }
    let depth = p.rank.iter().copied().max().unwrap_or(0) + 1;
    let mut top = vec![f32::INFINITY; depth];
    let mut bottom = vec![f32::NEG_INFINITY; depth];
    for v in 0..n {
        let r = p.rank[v];
        top[r] = top[r].min(p.pos[v][1]);
        bottom[r] = bottom[r].max(p.pos[v][1] + sizes[v][1]);
    }
    // Empty ranks (none, normally) take their neighbour's row.
    for r in 1..depth {
        if !top[r].is_finite() {
            top[r] = bottom[r - 1];
            bottom[r] = bottom[r - 1];
        }
    }
    if !top[0].is_finite() {
        return 1;
    }
    // Edges crossing the cut below rank r.
    let mut diff = vec![0i64; depth + 1];
    for route in &p.routes {
        let (lo, hi) = route
            .iter()
            .fold((f32::INFINITY, f32::NEG_INFINITY), |a, q| {
                (a.0.min(q[1]), a.1.max(q[1]))
            });
        // Rows run down in rank order, so both ends are binary searches.
        let a = bottom.partition_point(|&y| y < lo - 0.5).min(depth - 1);
        let b = top.partition_point(|&y| y <= hi + 0.5).saturating_sub(1);
        if b > a {
            diff[a] += 1;
            diff[b] -= 1;
        }
    }
    let mut crossing = vec![0i64; depth];
    let mut run = 0;
    for r in 0..depth {
        run += diff[r];
        crossing[r] = run;
    }
    // Cuts: after rank `c` a band ends; near the ideal height, at the fewest crossings.
    let ideal = h / k as f32;
    let mut cuts: Vec<usize> = Vec::new();
    let mut start = 0;
    while cuts.len() + 1 < k {
        let base = top[start];
        let best = (start..depth - 1)
            .filter(|&r| {
                let t = bottom[r] - base;
                t >= 0.7 * ideal && t <= 1.3 * ideal
            })
            .min_by(|&a, &b| {
                let da = (bottom[a] - base - ideal).abs() / ideal;
                let db = (bottom[b] - base - ideal).abs() / ideal;
                (crossing[a] as f32 + 2.0 * da).total_cmp(&(crossing[b] as f32 + 2.0 * db))
            });
        let Some(c) = best else { break };
        cuts.push(c);
        start = c + 1;
        if start >= depth {
            break;
        }
    }
    if cuts.is_empty() {
        return 1;
    }
    let bands = cuts.len() + 1;
    let mut band_of_rank = vec![0usize; depth];
    let mut b = 0;
    for (r, slot) in band_of_rank.iter_mut().enumerate() {
        *slot = b;
        if cuts.get(b) == Some(&r) {
            b += 1;
        }
    }
    // The y where band b starts and the boundary y between band b and b+1.
    let band_top: Vec<f32> = (0..bands)
        .map(|b| if b == 0 { top[0] } else { top[cuts[b - 1] + 1] })
        .collect();
    let boundary: Vec<f32> = cuts
        .iter()
        .map(|&c| (bottom[c] + top[c + 1]) / 2.0)
        .collect();
    let band_at = |y: f32| boundary.partition_point(|&by| by <= y);
    // Horizontal extent and bottom of each band (boxes and route points).
    let mut min_x = vec![f32::INFINITY; bands];
    let mut max_x = vec![f32::NEG_INFINITY; bands];
    let mut max_y = vec![f32::NEG_INFINITY; bands];
    for v in 0..n {
        let b = band_of_rank[p.rank[v]];
        min_x[b] = min_x[b].min(p.pos[v][0]);
        max_x[b] = max_x[b].max(p.pos[v][0] + sizes[v][0]);
        max_y[b] = max_y[b].max(p.pos[v][1] + sizes[v][1]);
    }
    for route in &p.routes {
        for q in route {
            let b = band_at(q[1]);
            min_x[b] = min_x[b].min(q[0]);
            max_x[b] = max_x[b].max(q[0]);
            max_y[b] = max_y[b].max(q[1]);
        }
    }
    for b in 0..bands {
        if !min_x[b].is_finite() {
            min_x[b] = 0.0;
            max_x[b] = 0.0;
            max_y[b] = band_top[b];
        }
    }
    // Lanes: how many crossing edges run in the gap right of each column.
    let mut lanes = vec![0usize; bands];
    for route in &p.routes {
        for s in route.windows(2) {
            let (a, c) = (band_at(s[0][1]), band_at(s[1][1]));
            if a != c {
                lanes[a.min(c)] += 1;
            }
        }
    }
    let mut col_x = vec![0f32; bands];
    for b in 1..bands {
        let extra = lanes[b - 1] as f32 * LANE;
        col_x[b] = col_x[b - 1] + (max_x[b - 1] - min_x[b - 1]) + COL_GAP + extra;
    }
    let top_margin = MARGIN + lanes.iter().copied().max().unwrap_or(0) as f32 * LANE;
    let dx: Vec<f32> = (0..bands).map(|b| col_x[b] - min_x[b]).collect();
    let dy: Vec<f32> = (0..bands).map(|b| top_margin - band_top[b]).collect();
    let at = |q: [f32; 2]| {
        let b = band_at(q[1]);
        [q[0] + dx[b], q[1] + dy[b]]
    };
    for v in 0..n {
        let b = band_of_rank[p.rank[v]];
        p.pos[v] = [p.pos[v][0] + dx[b], p.pos[v][1] + dy[b]];
    }
    let mut used = vec![0usize; bands];
    let mut height = 0f32;
    for b in 0..bands {
        height = height.max(max_y[b] + dy[b]);
    }
    let bottom_run = height + 14.0;
    for route in &mut p.routes {
        let old = std::mem::take(route);
        let mut out = Vec::with_capacity(old.len() + 4);
        for (i, &q) in old.iter().enumerate() {
            if i > 0 {
                let prev = old[i - 1];
                let (a, c) = (band_at(prev[1]), band_at(q[1]));
                if a != c {
                    let lo = a.min(c);
                    let lane = used[lo];
                    used[lo] += 1;
                    let off = lane as f32 * LANE;
                    let gap_x = col_x[lo] + (max_x[lo] - min_x[lo]) + COL_GAP / 2.0 + off;
                    let down_y = bottom_run + off;
                    let up_y = top_margin - 14.0 - off;
                    let (from, to) = if a < c {
                        (at(prev), at(q))
                    } else {
                        (at(q), at(prev))
                    };
                    let mut c4 = vec![
                        [from[0], down_y],
                        [gap_x, down_y],
                        [gap_x, up_y],
                        [to[0], up_y],
                    ];
                    if a > c {
                        c4.reverse();
                    }
                    out.extend(c4);
                }
            }
            out.push(at(q));
        }
        *route = out;
    }
    let max_lane = used.iter().copied().max().unwrap_or(0) as f32 * LANE;
    let width = col_x[bands - 1] + (max_x[bands - 1] - min_x[bands - 1]);
    p.size = [width, bottom_run + max_lane + 8.0];
    bands
}

#[cfg(test)]
mod tests {
    use super::super::sugiyama::{Spacing, place};
    use super::*;

    fn chain(n: usize) -> (Vec<[f32; 2]>, Vec<(usize, usize)>) {
        let sizes = vec![[140.0, 60.0]; n];
        let mut edges: Vec<(usize, usize)> = (1..n).map(|i| (i - 1, i)).collect();
        // A few residual skips.
        for i in (0..n.saturating_sub(3)).step_by(5) {
            edges.push((i, i + 3));
        }
        (sizes, edges)
    }

    #[test]
    fn a_tall_chain_folds_into_columns_without_overlaps() {
        let (sizes, edges) = chain(200);
        let mut p = place(&sizes, &edges, Spacing::default());
        let tall = p.size[1] / p.size[0];
        let cols = wrap(&mut p, &sizes, 1.3);
        assert!(cols >= 3, "{cols} columns for a ratio of {tall}");
        let ratio = p.size[0] / p.size[1];
        assert!(
            ratio > 0.4 && ratio < 3.0,
            "width/height {ratio} after folding (before: {})",
            1.0 / tall
        );
        for i in 0..sizes.len() {
            for j in i + 1..sizes.len() {
                let (a, b) = (p.pos[i], p.pos[j]);
                let apart = a[0] + sizes[i][0] <= b[0]
                    || b[0] + sizes[j][0] <= a[0]
                    || a[1] + sizes[i][1] <= b[1]
                    || b[1] + sizes[j][1] <= a[1];
                assert!(apart, "boxes {i} and {j} overlap");
            }
            assert!(p.pos[i][0] >= 0.0 && p.pos[i][0] + sizes[i][0] <= p.size[0] + 0.5);
            assert!(p.pos[i][1] >= 0.0 && p.pos[i][1] + sizes[i][1] <= p.size[1] + 0.5);
        }
        // Every edge still starts at its source's bottom and ends at its target's top.
        for (e, &(a, b)) in edges.iter().enumerate() {
            let r = &p.routes[e];
            let (s, t) = (r[0], r[r.len() - 1]);
            assert!(
                (s[1] - (p.pos[a][1] + sizes[a][1])).abs() < 0.5,
                "edge {e} start"
            );
            assert!((t[1] - p.pos[b][1]).abs() < 0.5, "edge {e} end");
            assert!(
                r.len() % 2 == 0,
                "segments keep their curve/straight parity"
            );
        }
    }

    #[test]
    fn a_wide_or_small_graph_is_left_as_it_is() {
        let (sizes, edges) = chain(6);
        let mut p = place(&sizes, &edges, Spacing::default());
        let before = p.pos.clone();
        assert_eq!(wrap(&mut p, &sizes, 1.3), 1);
        assert_eq!(p.pos, before);
        // Forty boxes side by side: already wide.
        let sizes = vec![[100.0, 40.0]; 41];
        let edges: Vec<(usize, usize)> = (1..41).map(|i| (0, i)).collect();
        let mut p = place(&sizes, &edges, Spacing::default());
        assert_eq!(wrap(&mut p, &sizes, 1.3), 1);
    }
}
