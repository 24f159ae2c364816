//! Layered graph drawing (Sugiyama): cycles broken by reversing edges against a topological
//! order, ranks by longest path with sources pulled down next to their first consumer, dummy
//! vertices on edges spanning several ranks, barycentre sweeps (best crossing count kept), and
//! coordinates by weighted isotonic regression (each vertex as close as it may get to its
//! neighbours' mean without overlapping; dummies weigh more, so long edges run straight).
//! Edges are routed through their dummies, which sit in the gaps between the boxes of a rank.
//! Geometry only: boxes in, positions and polylines out.

/// Spacing parameters.
#[derive(Debug, Clone, Copy)]
pub struct Spacing {
    /// Horizontal gap between two boxes of a rank.
    pub node_gap: f32,
    /// Horizontal gap next to a dummy (an edge passing through a rank).
    pub edge_gap: f32,
    /// Vertical gap between ranks (room for edge labels).
    pub rank_gap: f32,
}

impl Default for Spacing {
    fn default() -> Self {
        Spacing {
            node_gap: 36.0,
            edge_gap: 14.0,
            rank_gap: 56.0,
        }
    }
}

/// The result: top-left corner of every box, every edge's polyline (source's bottom to
/// target's top), each box's rank and the drawing's size.
#[derive(Debug, Clone, Default)]
pub struct Placed {
    /// Top-left corner of each box.
    pub pos: Vec<[f32; 2]>,
    /// One polyline per input edge, in input order.
    pub routes: Vec<Vec<[f32; 2]>>,
    /// Rank of each box (0 at the top).
    pub rank: Vec<usize>,
    /// Width and height of the drawing.
    pub size: [f32; 2],
    /// Edge crossings of the chosen ordering (between adjacent ranks, dummies included).
    pub crossings: usize,
}

/// Lay out boxes of `sizes` (width, height) joined by directed `edges` (from, to).
pub fn place(sizes: &[[f32; 2]], edges: &[(usize, usize)], sp: Spacing) -> Placed {
    let n = sizes.len();
    if n == 0 {
        return Placed::default();
    }
    let edges: Vec<(usize, usize)> = edges
        .iter()
        .copied()
        .filter(|&(a, b)| a < n && b < n)
        .collect();
    // 1. A topological order (forcing the lowest-index remaining vertex when a cycle blocks);
    // edges against it are reversed.
    let topo = topo_order(n, &edges);
    let mut at = vec![0usize; n];
    for (k, &v) in topo.iter().enumerate() {
        at[v] = k;
    }
    let dag: Vec<(usize, usize, bool)> = edges
        .iter()
        .filter(|(a, b)| a != b)
        .map(|&(a, b)| {
            if at[a] < at[b] {
                (a, b, false)
            } else {
                (b, a, true)
            }
        })
        .collect();
    let mut preds = vec![Vec::new(); n];
    let mut succs = vec![Vec::new(); n];
    for &(a, b, _) in &dag {
        preds[b].push(a);
        succs[a].push(b);
    }
    // 2. Ranks: longest path from the top, then every source moves down to just above its
    // nearest consumer (so constants and inputs do not all crowd rank 0).
    let mut rank = vec![0usize; n];
    for &v in &topo {
        for &p in &preds[v] {
            rank[v] = rank[v].max(rank[p] + 1);
        }
    }
    for &v in topo.iter().rev() {
        if preds[v].is_empty()
            && let Some(m) = succs[v].iter().map(|&s| rank[s]).min()
        {
            rank[v] = m.saturating_sub(1);
        }
    }
    let depth = rank.iter().copied().max().unwrap_or(0) + 1;
    // 3. Dummies: vertex ids n.. ; chain[e] lists the vertices edge e passes through.
    let mut vrank = rank.clone();
    let mut vw: Vec<f32> = sizes.iter().map(|s| s[0].max(1.0)).collect();
    let mut chains: Vec<Vec<usize>> = Vec::with_capacity(dag.len());
    let mut up: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut down: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &(a, b, _) in &dag {
        let mut chain = vec![a];
        let mut prev = a;
        for r in rank[a] + 1..rank[b] {
            let d = vrank.len();
            vrank.push(r);
            vw.push(0.0);
            up.push(Vec::new());
            down.push(Vec::new());
            down[prev].push(d);
            up[d].push(prev);
            chain.push(d);
            prev = d;
        }
        down[prev].push(b);
        up[b].push(prev);
        chain.push(b);
        chains.push(chain);
    }
    let nv = vrank.len();
    let is_dummy = |v: usize| v >= n;
    // 4. Ordering: first by topological position, then barycentre sweeps.
    let mut layers: Vec<Vec<usize>> = vec![Vec::new(); depth];
    let mut first_seen = vec![usize::MAX; nv];
    for (k, &v) in topo.iter().enumerate() {
        first_seen[v] = k;
    }
    for (e, chain) in chains.iter().enumerate() {
        for &d in chain.iter().filter(|&&d| is_dummy(d)) {
            first_seen[d] = first_seen[chain[0]].saturating_add(e % 7);
        }
    }
    let mut by_first: Vec<usize> = (0..nv).collect();
    by_first.sort_by_key(|&v| (first_seen[v], v));
    for v in by_first {
        layers[vrank[v]].push(v);
    }
    let mut order = vec![0f32; nv];
    let set_order = |layers: &[Vec<usize>], order: &mut [f32]| {
        for l in layers {
            for (k, &v) in l.iter().enumerate() {
                order[v] = k as f32;
            }
        }
    };
    set_order(&layers, &mut order);
    let mut best = layers.clone();
    let mut best_cross = crossings(&layers, &down, &order);
    let sweeps = if nv > 30_000 {
        4
    } else if nv > 5_000 {
        8
    } else {
        16
    };
    for sweep in 0..sweeps {
        let downward = sweep % 2 == 0;
        let idx: Vec<usize> = if downward {
            (1..depth).collect()
        } else {
            (0..depth.saturating_sub(1)).rev().collect()
        };
        for l in idx {
            let nb = if downward { &up } else { &down };
            let mut keyed: Vec<(f32, usize)> = layers[l]
                .iter()
                .map(|&v| {
                    let k = if nb[v].is_empty() {
                        order[v]
                    } else {
                        nb[v].iter().map(|&u| order[u]).sum::<f32>() / nb[v].len() as f32
                    };
                    (k, v)
                })
                .collect();
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(order[a.1].total_cmp(&order[b.1])));
            layers[l] = keyed.into_iter().map(|(_, v)| v).collect();
            for (k, &v) in layers[l].iter().enumerate() {
                order[v] = k as f32;
            }
        }
        let c = crossings(&layers, &down, &order);
        if c < best_cross {
            best_cross = c;
            best = layers.clone();
        }
    }
    let layers = best;
    set_order(&layers, &mut order);
    // 5. Coordinates (x = centre of each vertex).
    let gap = |a: usize, b: usize| {
        if is_dummy(a) || is_dummy(b) {
            sp.edge_gap
        } else {
            sp.node_gap
        }
    };
    let mut x = vec![0f32; nv];
    for l in &layers {
        let mut cur = 0f32;
        for (k, &v) in l.iter().enumerate() {
            if k > 0 {
                let p = l[k - 1];
                cur += (vw[p] + vw[v]) / 2.0 + gap(p, v);
            }
            x[v] = cur;
        }
    }
    let weight = |v: usize| if is_dummy(v) { 4.0 } else { 1.0 };
    let passes = 8;
    for pass in 0..passes {
        let downward = pass % 2 == 0;
        let both = pass == passes - 1;
        let idx: Vec<usize> = if downward {
            (0..depth).collect()
        } else {
            (0..depth).rev().collect()
        };
        for l in idx {
            let layer = &layers[l];
            if layer.is_empty() {
                continue;
            }
            let mut want = Vec::with_capacity(layer.len());
            let mut wts = Vec::with_capacity(layer.len());
            for &v in layer {
                let nbs: Vec<usize> = if both {
                    up[v].iter().chain(&down[v]).copied().collect()
                } else if downward {
                    up[v].clone()
                } else {
                    down[v].clone()
                };
                if nbs.is_empty() {
                    want.push(x[v]);
                    wts.push(0.05);
                } else {
                    let m = nbs.iter().map(|&u| x[u]).sum::<f32>() / nbs.len() as f32;
                    want.push(m);
                    wts.push(weight(v) * nbs.len() as f32);
                }
            }
            let seps: Vec<f32> = layer
                .windows(2)
                .map(|w| (vw[w[0]] + vw[w[1]]) / 2.0 + gap(w[0], w[1]))
                .collect();
            let placed = isotonic_place(&want, &wts, &seps);
            for (k, &v) in layer.iter().enumerate() {
                x[v] = placed[k];
            }
        }
    }
    let min_x = (0..nv)
        .map(|v| x[v] - vw[v] / 2.0)
        .fold(f32::INFINITY, f32::min);
    let max_x = (0..nv)
        .map(|v| x[v] + vw[v] / 2.0)
        .fold(f32::NEG_INFINITY, f32::max);
    for v in x.iter_mut() {
        *v -= min_x;
    }
    // 6. Rows: each rank as tall as its tallest box.
    let mut rank_h = vec![0f32; depth];
    for v in 0..n {
        rank_h[rank[v]] = rank_h[rank[v]].max(sizes[v][1]);
    }
    let mut rank_y = vec![0f32; depth];
    let mut y = 0f32;
    for r in 0..depth {
        rank_y[r] = y;
        y += rank_h[r] + sp.rank_gap;
    }
    let pos: Vec<[f32; 2]> = (0..n)
        .map(|v| [x[v] - sizes[v][0] / 2.0, rank_y[rank[v]]])
        .collect();
    // 7. Routes: ports spread along the bottom and top edges in the order of the far end.
    let mut out_port = vec![0f32; chains.len()];
    let mut in_port = vec![0f32; chains.len()];
    let mut outs: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut ins: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (e, c) in chains.iter().enumerate() {
        outs[c[0]].push(e);
        ins[c[c.len() - 1]].push(e);
    }
    let spread = |list: &mut Vec<usize>, far: &dyn Fn(usize) -> f32, w: f32, port: &mut [f32]| {
        list.sort_by(|&a, &b| far(a).total_cmp(&far(b)));
        let k = list.len() as f32;
        for (j, &e) in list.iter().enumerate() {
            port[e] = if list.len() == 1 {
                0.0
            } else {
                w * 0.6 * ((j as f32 + 0.5) / k - 0.5)
            };
        }
    };
    for v in 0..n {
        spread(
            &mut outs[v],
            &|e| x[chains[e][1]],
            sizes[v][0],
            &mut out_port,
        );
        spread(
            &mut ins[v],
            &|e| x[chains[e][chains[e].len() - 2]],
            sizes[v][0],
            &mut in_port,
        );
    }
    let mut chain_routes: Vec<Vec<[f32; 2]>> = Vec::with_capacity(chains.len());
    for (e, c) in chains.iter().enumerate() {
        let (a, b) = (c[0], c[c.len() - 1]);
        let mut pts = vec![[x[a] + out_port[e], pos[a][1] + sizes[a][1]]];
        for &d in &c[1..c.len() - 1] {
            let r = vrank[d];
            pts.push([x[d], rank_y[r]]);
            pts.push([x[d], rank_y[r] + rank_h[r]]);
        }
        pts.push([x[b] + in_port[e], pos[b][1]]);
        chain_routes.push(pts);
    }
    // Back to input edge order; reversed edges are drawn against their chain.
    let mut routes = Vec::with_capacity(edges.len());
    let mut k = 0;
    for &(a, b) in &edges {
        if a == b {
            let p = pos[a];
            let s = sizes[a];
            routes.push(vec![
                [p[0] + s[0], p[1] + s[1] * 0.7],
                [p[0] + s[0] + 14.0, p[1] + s[1] * 0.7],
                [p[0] + s[0] + 14.0, p[1] + s[1] * 0.3],
                [p[0] + s[0], p[1] + s[1] * 0.3],
            ]);
            continue;
        }
        let mut r = chain_routes[k].clone();
        if dag[k].2 {
            r.reverse();
        }
        routes.push(r);
        k += 1;
    }
    Placed {
        pos,
        routes,
        rank,
        size: [(max_x - min_x).max(0.0), (y - sp.rank_gap).max(0.0)],
        crossings: best_cross,
    }
}

/// Kahn's algorithm in index order; when every remaining vertex waits on a cycle, the lowest
/// remaining index goes next.
fn topo_order(n: usize, edges: &[(usize, usize)]) -> Vec<usize> {
    let mut indeg = vec![0usize; n];
    let mut succ = vec![Vec::new(); n];
    for &(a, b) in edges {
        if a != b {
            indeg[b] += 1;
            succ[a].push(b);
        }
    }
    let mut done = vec![false; n];
    let mut heap: std::collections::BinaryHeap<std::cmp::Reverse<usize>> = (0..n)
        .filter(|&v| indeg[v] == 0)
        .map(std::cmp::Reverse)
        .collect();
    let mut out = Vec::with_capacity(n);
    let mut next_forced = 0;
    while out.len() < n {
        let v = match heap.pop() {
            Some(std::cmp::Reverse(v)) if !done[v] => v,
            Some(_) => continue,
            None => {
                while done[next_forced] {
                    next_forced += 1;
                }
                next_forced
            }
        };
        done[v] = true;
        out.push(v);
        for &s in &succ[v] {
            indeg[s] = indeg[s].saturating_sub(1);
            if indeg[s] == 0 && !done[s] {
                heap.push(std::cmp::Reverse(s));
            }
        }
    }
    out
}

/// Crossings between adjacent layers (inversion count of the lower ends, Fenwick tree).
fn crossings(layers: &[Vec<usize>], down: &[Vec<usize>], order: &[f32]) -> usize {
    let mut total = 0;
    for w in layers.windows(2) {
        let mut pairs: Vec<(usize, usize)> = Vec::new();
        for &u in &w[0] {
            for &v in &down[u] {
                pairs.push((order[u] as usize, order[v] as usize));
            }
        }
        pairs.sort_unstable();
        let m = w[1].len() + 1;
        let mut tree = vec![0usize; m + 1];
        for (seen, &(_, v)) in pairs.iter().enumerate() {
            // Count earlier pairs whose lower end is to the right of v.
            let mut i = v + 1;
            let mut le = 0;
            while i > 0 {
                le += tree[i];
                i &= i - 1;
            }
            total += seen - le;
            let mut i = v + 1;
            while i <= m {
                tree[i] += 1;
                i += i & i.wrapping_neg();
            }
        }
    }
    total
}

/// Positions closest (weighted least squares) to `want` keeping `x[k+1] - x[k] >= sep[k]`:
/// with `y[k] = x[k] - offset[k]` this is isotonic regression, solved by pooling adjacent
/// violators.
pub fn isotonic_place(want: &[f32], w: &[f32], sep: &[f32]) -> Vec<f32> {
    let n = want.len();
    let mut offset = vec![0f32; n];
    for k in 1..n {
        offset[k] = offset[k - 1] + sep[k - 1];
    }
    // Blocks: (weighted mean, total weight, count).
    let mut blocks: Vec<(f32, f32, usize)> = Vec::with_capacity(n);
    for k in 0..n {
        let wk = w[k].max(1e-6);
        let mut b = (want[k] - offset[k], wk, 1usize);
        while let Some(&last) = blocks.last() {
            if last.0 <= b.0 {
                break;
            }
            blocks.pop();
            let tw = last.1 + b.1;
            b = ((last.0 * last.1 + b.0 * b.1) / tw, tw, last.2 + b.2);
        }
        blocks.push(b);
    }
    let mut out = Vec::with_capacity(n);
    for (m, _, c) in blocks {
        for _ in 0..c {
            let k = out.len();
            out.push(m + offset[k]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn overlaps(p: &Placed, sizes: &[[f32; 2]]) -> bool {
        for a in 0..sizes.len() {
            for b in a + 1..sizes.len() {
                let (pa, pb) = (p.pos[a], p.pos[b]);
                let sep_x = pa[0] + sizes[a][0] <= pb[0] || pb[0] + sizes[b][0] <= pa[0];
                let sep_y = pa[1] + sizes[a][1] <= pb[1] || pb[1] + sizes[b][1] <= pa[1];
                if !sep_x && !sep_y {
                    return true;
                }
            }
        }
        false
    }

    #[test]
    fn edges_point_down_and_boxes_do_not_overlap() {
        // A diamond with a skip edge and a late-used source.
        let sizes = vec![[100.0, 30.0]; 6];
        let edges = [(0, 1), (0, 2), (1, 3), (2, 3), (0, 3), (5, 3), (3, 4)];
        let p = place(&sizes, &edges, Spacing::default());
        for &(a, b) in &edges {
            assert!(p.rank[a] < p.rank[b], "{a}->{b}: {:?}", p.rank);
        }
        assert!(!overlaps(&p, &sizes));
        // The source used only by node 3 sits right above it, not at the top.
        assert_eq!(p.rank[5] + 1, p.rank[3]);
        // Each route starts at its source's bottom and ends at its target's top.
        for (e, &(a, b)) in edges.iter().enumerate() {
            let r = &p.routes[e];
            assert!((r[0][1] - (p.pos[a][1] + 30.0)).abs() < 1e-3);
            assert!((r[r.len() - 1][1] - p.pos[b][1]).abs() < 1e-3);
        }
    }

    #[test]
    fn long_edges_pass_between_boxes_not_through_them() {
        // A chain 0..6 and a skip edge 0 -> 6 beside it.
        let sizes = vec![[120.0, 40.0]; 7];
        let mut edges: Vec<(usize, usize)> = (0..6).map(|i| (i, i + 1)).collect();
        edges.push((0, 6));
        let p = place(&sizes, &edges, Spacing::default());
        let route = &p.routes[6];
        assert!(route.len() > 2, "the skip edge goes through dummies");
        for pt in &route[1..route.len() - 1] {
            for v in 1..6 {
                let q = p.pos[v];
                let inside =
                    pt[0] > q[0] && pt[0] < q[0] + 120.0 && pt[1] >= q[1] && pt[1] <= q[1] + 40.0;
                assert!(!inside, "route point {pt:?} inside box {v} at {q:?}");
            }
        }
    }

    #[test]
    fn barycentre_sweeps_remove_avoidable_crossings() {
        // Two parallel chains whose inputs are listed crosswise: 0->3, 1->2; 2->4, 3->5.
        let sizes = vec![[50.0, 20.0]; 6];
        let edges = [(0, 3), (1, 2), (3, 5), (2, 4)];
        let p = place(&sizes, &edges, Spacing::default());
        assert_eq!(p.crossings, 0);
        // A chain runs straight down.
        let c = |v: usize| p.pos[v][0];
        assert!((c(0) - c(3)).abs() < 1e-3 && (c(3) - c(5)).abs() < 1e-3);
    }

    #[test]
    fn cycles_are_broken_and_self_loops_kept() {
        let sizes = vec![[40.0, 20.0]; 3];
        let edges = [(0, 1), (1, 2), (2, 0), (1, 1)];
        let p = place(&sizes, &edges, Spacing::default());
        assert_eq!(p.routes.len(), 4);
        assert!(p.routes.iter().all(|r| r.len() >= 2));
        assert!(!overlaps(&p, &sizes));
    }

    #[test]
    fn fan_out_is_spread_in_one_rank_centred_under_its_source() {
        let sizes = vec![[100.0, 30.0]; 5];
        let edges = [(0, 1), (0, 2), (0, 3), (0, 4)];
        let p = place(&sizes, &edges, Spacing::default());
        let xs: Vec<f32> = (1..5).map(|v| p.pos[v][0] + 50.0).collect();
        let mean = xs.iter().sum::<f32>() / 4.0;
        assert!(
            (mean - (p.pos[0][0] + 50.0)).abs() < 1.0,
            "{xs:?} vs {:?}",
            p.pos[0]
        );
        assert!(p.size[0] >= 4.0 * 100.0 + 3.0 * 36.0 - 1e-3);
        assert!(!overlaps(&p, &sizes));
    }

    #[test]
    fn isotonic_place_keeps_separation_and_least_squares() {
        // Both want 0: they split the difference.
        let x = isotonic_place(&[0.0, 0.0], &[1.0, 1.0], &[10.0]);
        assert!((x[0] + 5.0).abs() < 1e-4 && (x[1] - 5.0).abs() < 1e-4);
        // Already apart: unchanged.
        assert_eq!(
            isotonic_place(&[0.0, 50.0], &[1.0, 1.0], &[10.0]),
            [0.0, 50.0]
        );
        // A heavy vertex stays put.
        let x = isotonic_place(&[0.0, 0.0], &[1.0, 99.0], &[10.0]);
        assert!((x[1] - 0.1).abs() < 1e-3 && (x[0] + 9.9).abs() < 1e-3);
    }
}
