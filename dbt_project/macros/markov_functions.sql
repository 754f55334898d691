{#
    The exact first-order Markov removal effects (model int_attribution_removal_effects).

    Installed by the project's on-run-start hook, so the functions exist before any model or
    unit test runs in `dbt build`, `dbt run` and `dbt test`. They live in their own schema,
    never in the target schema: publishing renames analytics_build to analytics, and a
    function there would move with it.

    Method (see models/intermediate/attribution/README_markov.md):
    * States: start, one per channel, and the absorbing states conversion and null. With
      N(i, j) the number of i -> j transitions over all journeys and T(i) the number of
      transitions out of channel i, the absorption probability x(i) of reaching conversion
      from channel i solves  T(i) x(i) - sum_j N(i, j) x(j) = N(i, conversion).
      The matrix diag(T) - N is integer and a nonsingular M-matrix (every channel can reach
      an absorbing state, since every journey ends), so the system has one solution.
    * It is solved in integers with fraction-free (Bareiss) Gauss-Jordan elimination: every
      intermediate value is a minor of the matrix, each division is exact, and at the end
      the system reads det * x = column. So P(conversion) = sum_j N(start, j) x(j) / paths is
      an exact rational, kept as numerator and denominator.
    * Removing channel c sends every transition into c to null: x(c) = 0 (its row becomes
      the unit row, its right-hand side 0). Removal effect = 1 - P(without c) / P.
    * Shares = removal effects / their sum, still as exact rationals; only the output is
      rounded, to 30 decimal places.
#}

{% macro markov_function_schema() -%}
    thinline_functions
{%- endmacro %}


{% macro markov_create_functions() %}
-- Two dbt commands at once (the night's build and an analyst's dbt-check) would both create
-- the schema and replace the functions: the second fails ("tuple concurrently updated").
-- So this takes the DDL lock of extract/shared_ddl.py for the schema, held to the hook's end.
select pg_advisory_xact_lock(hashtextextended('ddl:{{ markov_function_schema() }}', 0));
create schema if not exists {{ markov_function_schema() }};

-- Solve matrix * x = rhs (matrix: size x size, row-major, integer values) exactly.
-- Returns [d, d * x(1), ..., d * x(size)] with d = +-det(matrix), all integers.
create or replace function {{ markov_function_schema() }}.markov_solve_exact(
    matrix numeric[], rhs numeric[], size integer
) returns numeric[]
language plpgsql immutable strict
as $markov_solve$
declare
    width integer := size + 1;
    work numeric[] := array_fill(0::numeric, array[size * (size + 1)]);
    previous numeric := 1;
    pivot numeric;
    factor numeric;
    held numeric;
    pivot_row integer;
    result numeric[];
begin
    for i in 1..size loop
        for j in 1..size loop
            work[(i - 1) * width + j] := matrix[(i - 1) * size + j];
        end loop;
        work[i * width] := rhs[i];
    end loop;
    for k in 1..size loop
        pivot_row := null;
        for i in k..size loop
            if work[(i - 1) * width + k] <> 0 then
                pivot_row := i;
                exit;
            end if;
        end loop;
        if pivot_row is null then
            raise exception 'markov_solve_exact: singular matrix (column %)', k;
        end if;
        if pivot_row <> k then
            for j in 1..width loop
                held := work[(k - 1) * width + j];
                work[(k - 1) * width + j] := work[(pivot_row - 1) * width + j];
                work[(pivot_row - 1) * width + j] := held;
            end loop;
        end if;
        pivot := work[(k - 1) * width + k];
        for i in 1..size loop
            continue when i = k;
            factor := work[(i - 1) * width + k];
            -- Bareiss step: the division by the previous pivot is exact (Sylvester's identity).
            for j in k + 1..width loop
                work[(i - 1) * width + j] := div(
                    pivot * work[(i - 1) * width + j] - factor * work[(k - 1) * width + j],
                    previous
                );
            end loop;
            work[(i - 1) * width + k] := 0;
            if i < k then
                -- columns before k hold only the diagonal, which becomes the new pivot
                work[(i - 1) * width + i] := pivot;
            end if;
        end loop;
        previous := pivot;
    end loop;
    result := array[previous];
    for i in 1..size loop
        result := result || work[i * width];
    end loop;
    return result;
end;
$markov_solve$;

-- numerator / denominator (non-negative integers, denominator > 0) rounded half up to 30
-- decimal places, trailing zeros trimmed; multiplication by 1e-30 is exact in numeric.
create or replace function {{ markov_function_schema() }}.markov_decimal(
    numerator numeric, denominator numeric
) returns numeric
language sql immutable strict
as $markov_decimal$
    select trim_scale(
        div(2 * numerator * 10::numeric ^ 30 + denominator, 2 * denominator)
        * 1e-30::numeric
    )
$markov_decimal$;

-- Removal effect and share of every channel of one chain, given its transition counts:
-- from_channels null = the journey's start; to_channels null = the journey's end, into
-- conversion when is_converted, else into null.
create or replace function {{ markov_function_schema() }}.markov_removal_effects(
    from_channels text[],
    to_channels text[],
    is_converted boolean[],
    transition_counts bigint[]
) returns table (channel_name text, removal_effect numeric, removal_share numeric)
language plpgsql immutable
as $markov_effects$
declare
    channels text[];
    size integer;
    from_index integer;
    to_index integer;
    start_counts numeric[];
    conversion_counts numeric[];
    base_matrix numeric[];
    matrix numeric[];
    rhs numeric[];
    solved numeric[];
    value_numerator numeric;
    value_denominator numeric;
    removed_numerators numeric[];
    removed_denominators numeric[];
    effect_numerators numeric[];
    effect_denominators numeric[];
    sum_numerator numeric := 0;
    sum_denominator numeric := 1;
    common numeric;
    numerator numeric;
    denominator numeric;
begin
    select coalesce(array_agg(distinct named.channel_name order by named.channel_name), '{}')
    into channels
    from unnest(from_channels || to_channels) as named (channel_name)
    where named.channel_name is not null;
    size := coalesce(array_length(channels, 1), 0);
    if size = 0 then
        return;
    end if;

    start_counts := array_fill(0::numeric, array[size]);
    conversion_counts := array_fill(0::numeric, array[size]);
    -- diag(T) - N, row-major
    base_matrix := array_fill(0::numeric, array[size * size]);
    for t in 1..coalesce(array_length(transition_counts, 1), 0) loop
        continue when transition_counts[t] is null or transition_counts[t] = 0;
        to_index := array_position(channels, to_channels[t]);
        if from_channels[t] is null then
            if to_index is not null then
                start_counts[to_index] := start_counts[to_index] + transition_counts[t];
            end if;
            continue;
        end if;
        from_index := array_position(channels, from_channels[t]);
        base_matrix[(from_index - 1) * size + from_index] :=
            base_matrix[(from_index - 1) * size + from_index] + transition_counts[t];
        if to_index is not null then
            base_matrix[(from_index - 1) * size + to_index] :=
                base_matrix[(from_index - 1) * size + to_index] - transition_counts[t];
        elsif is_converted[t] then
            conversion_counts[from_index] := conversion_counts[from_index] + transition_counts[t];
        end if;
    end loop;

    -- value(removed) = sum_j start(j) x(j) as numerator / denominator (the common factor
    -- 1 / number of journeys cancels in every ratio below); removed = 0: nothing removed.
    removed_numerators := array_fill(0::numeric, array[size + 1]);
    removed_denominators := array_fill(1::numeric, array[size + 1]);
    for removed in 0..size loop
        matrix := base_matrix;
        rhs := conversion_counts;
        if removed > 0 then
            for j in 1..size loop
                matrix[(removed - 1) * size + j] := case when j = removed then 1 else 0 end;
            end loop;
            rhs[removed] := 0;
        end if;
        solved := {{ markov_function_schema() }}.markov_solve_exact(matrix, rhs, size);
        numerator := 0;
        for j in 1..size loop
            numerator := numerator + start_counts[j] * solved[j + 1];
        end loop;
        denominator := solved[1];
        if denominator < 0 then
            numerator := -numerator;
            denominator := -denominator;
        end if;
        removed_numerators[removed + 1] := numerator;
        removed_denominators[removed + 1] := denominator;
    end loop;
    value_numerator := removed_numerators[1];
    value_denominator := removed_denominators[1];

    -- No conversion reachable: nothing to lose, so no effect and no share.
    if value_numerator = 0 then
        return query
        select named.channel_name, 0::numeric, null::numeric
        from unnest(channels) as named (channel_name);
        return;
    end if;

    -- effect(c) = 1 - value(c) / value = (p q_c - p_c q) / (p q_c), reduced
    effect_numerators := array_fill(0::numeric, array[size]);
    effect_denominators := array_fill(1::numeric, array[size]);
    for c in 1..size loop
        numerator := value_numerator * removed_denominators[c + 1]
            - removed_numerators[c + 1] * value_denominator;
        denominator := value_numerator * removed_denominators[c + 1];
        common := gcd(numerator, denominator);
        effect_numerators[c] := div(numerator, common);
        effect_denominators[c] := div(denominator, common);
        -- running sum of the effects, reduced
        sum_numerator := sum_numerator * effect_denominators[c]
            + effect_numerators[c] * sum_denominator;
        sum_denominator := sum_denominator * effect_denominators[c];
        common := gcd(sum_numerator, sum_denominator);
        sum_numerator := div(sum_numerator, common);
        sum_denominator := div(sum_denominator, common);
    end loop;

    -- The journey's last channel before a conversion always has a positive effect, so the
    -- sum is positive here. share(c) = effect(c) / sum.
    for c in 1..size loop
        channel_name := channels[c];
        removal_effect := {{ markov_function_schema() }}.markov_decimal(
            effect_numerators[c], effect_denominators[c]
        );
        removal_share := {{ markov_function_schema() }}.markov_decimal(
            effect_numerators[c] * sum_denominator, effect_denominators[c] * sum_numerator
        );
        return next;
    end loop;
end;
$markov_effects$;
{% endmacro %}
