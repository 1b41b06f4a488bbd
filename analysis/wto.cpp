// Basic blocks and Bourdoncle's weak topological order.
#include "analysis/wto.hpp"

#include <algorithm>
#include <limits>

namespace tailgate {

int FunctionCfg::block_of(uint32_t pc) const {
    auto it = std::upper_bound(block_start.begin(), block_start.end(), pc);
    if (it == block_start.begin()) return -1;
    size_t b = size_t(it - block_start.begin()) - 1;
    return pc < block_end[b] ? int(b) : -1;
}

bool FunctionCfg::in_loop(uint32_t p, uint32_t h) const {
    if (p == h) return true;
    const auto& hs = heads_of[p];
    return std::find(hs.begin(), hs.end(), h) != hs.end();
}

int function_starting_at(const Program& prog, uint32_t pc) {
    for (size_t i = 0; i < prog.functions.size(); ++i)
        if (prog.functions[i].start == pc) return int(i);
    return -1;
}

namespace {

struct Bourdoncle {
    const std::vector<std::vector<uint32_t>>& succ;
    std::vector<uint32_t> dfn;
    std::vector<uint32_t> stack;
    uint32_t num = 0;
    static constexpr uint32_t kInf = std::numeric_limits<uint32_t>::max();

    WtoElem component(uint32_t v) {
        WtoElem c{v, true, {}};
        for (uint32_t w : succ[v])
            if (dfn[w] == 0) visit(w, c.body);
        std::reverse(c.body.begin(), c.body.end());
        return c;
    }

    // Elements are appended in reverse WTO order; callers reverse each finished partition.
    uint32_t visit(uint32_t v, std::vector<WtoElem>& partition) {
        stack.push_back(v);
        dfn[v] = ++num;
        uint32_t head = dfn[v];
        bool loop = false;
        for (uint32_t w : succ[v]) {
            uint32_t m = dfn[w] == 0 ? visit(w, partition) : dfn[w];
            if (m <= head) {
                head = m;
                loop = true;
            }
        }
        if (head == dfn[v]) {
            dfn[v] = kInf;
            uint32_t e = stack.back();
            stack.pop_back();
            if (loop) {
                while (e != v) {
                    dfn[e] = 0;
                    e = stack.back();
                    stack.pop_back();
                }
                partition.push_back(component(v));
            } else {
                partition.push_back(WtoElem{v, false, {}});
            }
        }
        return head;
    }
};

void assign_levels(FunctionCfg& cfg, const std::vector<WtoElem>& elems, std::vector<uint32_t>& heads) {
    for (const WtoElem& e : elems) {
        cfg.heads_of[e.block] = heads;
        if (!e.component) continue;
        cfg.loop_level[e.block] = int(heads.size());
        cfg.max_depth = std::max(cfg.max_depth, int(heads.size()) + 1);
        heads.push_back(e.block);
        assign_levels(cfg, e.body, heads);
        heads.pop_back();
    }
}

} // namespace

FunctionCfg build_function_cfg(const Program& prog, uint32_t function) {
    FunctionCfg cfg;
    cfg.function = function;
    const Subprogram& fn = prog.functions[function];
    cfg.start = fn.start;
    cfg.end = std::min<uint32_t>(fn.end, uint32_t(prog.insns.size()));
    if (cfg.start >= cfg.end) return cfg;

    std::vector<bool> leader(cfg.end - cfg.start + 1, false);
    auto mark = [&](uint32_t pc) {
        if (pc >= cfg.start && pc < cfg.end) leader[pc - cfg.start] = true;
    };
    mark(cfg.start);
    for (uint32_t pc = cfg.start; pc < cfg.end; pc += uint32_t(slots(prog.insns[pc]))) {
        const Insn& in = prog.insns[pc];
        uint32_t next = pc + uint32_t(slots(in));
        if (const auto* j = std::get_if<Jump>(&in)) {
            mark(j->target);
            mark(next);
        } else if (const auto* g = std::get_if<Goto>(&in)) {
            mark(g->target);
            mark(next);
        } else if (std::holds_alternative<Exit>(in)) {
            mark(next);
        }
    }
    for (uint32_t pc = cfg.start; pc < cfg.end; ++pc)
        if (leader[pc - cfg.start]) cfg.block_start.push_back(pc);
    for (size_t b = 0; b < cfg.block_start.size(); ++b)
        cfg.block_end.push_back(b + 1 < cfg.block_start.size() ? cfg.block_start[b + 1] : cfg.end);

    size_t n = cfg.block_start.size();
    cfg.succ.assign(n, {});
    cfg.pred.assign(n, {});
    for (size_t b = 0; b < n; ++b) {
        // the block's last instruction (an lddw's first slot if it ends with one)
        uint32_t last = cfg.block_start[b];
        for (uint32_t pc = cfg.block_start[b]; pc < cfg.block_end[b]; pc += uint32_t(slots(prog.insns[pc])))
            last = pc;
        const Insn& in = prog.insns[last];
        uint32_t next = last + uint32_t(slots(in));
        std::vector<uint32_t> targets;
        if (const auto* j = std::get_if<Jump>(&in)) {
            targets = {next, j->target};
        } else if (const auto* g = std::get_if<Goto>(&in)) {
            targets = {g->target};
        } else if (!std::holds_alternative<Exit>(in)) {
            targets = {next};
        }
        for (uint32_t t : targets) {
            int tb = cfg.block_of(t);
            if (tb < 0) {
                cfg.problems.push_back(
                    "insn " + std::to_string(last) +
                    (t == cfg.end
                         ? std::string(": execution falls off the end of function '") + fn.name + "'"
                         : ": jump to insn " + std::to_string(t) + " leaves function '" + fn.name + "'"));
                continue;
            }
            if (std::find(cfg.succ[b].begin(), cfg.succ[b].end(), uint32_t(tb)) == cfg.succ[b].end()) {
                cfg.succ[b].push_back(uint32_t(tb));
                cfg.pred[size_t(tb)].push_back(uint32_t(b));
            }
        }
    }
    Bourdoncle bd{cfg.succ, std::vector<uint32_t>(n, 0), {}, 0};
    bd.visit(0, cfg.wto);
    std::reverse(cfg.wto.begin(), cfg.wto.end());
    // kernel: verifier.c check_cfg() walks every edge from the entry and refuses what it never reaches
    for (size_t b = 0; b < n; ++b)
        if (bd.dfn[b] == 0)
            cfg.problems.push_back("insn " + std::to_string(cfg.block_start[b]) + ": unreachable insn " +
                                   std::to_string(cfg.block_start[b]) + ": no path from the entry of '" +
                                   fn.name + "' reaches it");
    cfg.loop_level.assign(n, -1);
    cfg.heads_of.assign(n, {});
    std::vector<uint32_t> heads;
    assign_levels(cfg, cfg.wto, heads);
    return cfg;
}

} // namespace tailgate
