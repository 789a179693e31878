/*
 * The libsolv floor for the resolve-scale benchmark: what libmamba does for a conda solve, with nothing else.
 * Loads conda repodata.json files with libsolv's own reader (repo_add_conda), turns each argument after "--" into
 * a job with libsolv's conda MatchSpec parser, solves, and prints one "name version build" line per package.
 * Usage: conda_resolve REPODATA.json... -- SPEC...
 */
#include <stdio.h>
#include <string.h>
#include <solv/pool.h>
#include <solv/poolarch.h>
#include <solv/repo.h>
#include <solv/repo_conda.h>
#include <solv/conda.h>
#include <solv/solver.h>
#include <solv/transaction.h>

int main(int argc, char **argv)
{
    int i = 1;
    Pool *pool = pool_create();
    if (pool_setdisttype(pool, DISTTYPE_CONDA) < 0) { fprintf(stderr, "libsolv was built without conda support\n"); return 2; }
    for (; i < argc && strcmp(argv[i], "--") != 0; i++)
    {
        FILE *fp = fopen(argv[i], "r");
        if (!fp) { perror(argv[i]); return 2; }
        Repo *repo = repo_create(pool, argv[i]);
        if (repo_add_conda(repo, fp, 0) != 0) { fprintf(stderr, "%s: %s\n", argv[i], pool_errstr(pool)); return 2; }
        fclose(fp);
    }
    if (i >= argc) { fprintf(stderr, "usage: conda_resolve REPODATA.json... -- SPEC...\n"); return 2; }
    pool_set_installed(pool, repo_create(pool, "installed"));
    pool_addfileprovides(pool);
    pool_createwhatprovides(pool);

    Queue job;
    queue_init(&job);
    for (i++; i < argc; i++)
        queue_push2(&job, SOLVER_INSTALL | SOLVER_SOLVABLE_PROVIDES, pool_conda_matchspec(pool, argv[i]));

    Solver *solver = solver_create(pool);
    int problems = solver_solve(solver, &job);
    if (problems)
    {
        for (Id p = 1; p <= problems; p++) fprintf(stderr, "problem %d: %s\n", p, solver_problem2str(solver, p));
        return 1;
    }
    Transaction *transaction = solver_create_transaction(solver);
    int installed = 0;
    for (int k = 0; k < transaction->steps.count; k++)
    {
        Solvable *s = pool_id2solvable(pool, transaction->steps.elements[k]);
        const char *build = solvable_lookup_str(s, SOLVABLE_BUILDVERSION);
        printf("%s %s %s\n", pool_id2str(pool, s->name), pool_id2str(pool, s->evr), build ? build : "");
        installed++;
    }
    fprintf(stderr, "%d packages\n", installed);
    transaction_free(transaction);
    solver_free(solver);
    queue_free(&job);
    pool_free(pool);
    return 0;
}
