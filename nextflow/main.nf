#!/usr/bin/env nextflow
/*
 * A minimal mitosieve pipeline from the nf-core-style modules in ../modules:
 * one MITOSIEVE_COUNT task per clone (scattered), then MITOSIEVE_CALL over all the
 * counts files and MITOSIEVE_SELECT (verdicts, report.html, MultiQC files).
 *
 *   nextflow run nextflow/main.nf --input samplesheet.csv --outdir results
 *
 * samplesheet.csv: a header line `sample,bam` (optionally `,index`), one clone a line.
 */
nextflow.enable.dsl = 2

include { MITOSIEVE_COUNT  } from '../modules/mitosieve/count/main'
include { MITOSIEVE_CALL   } from '../modules/mitosieve/call/main'
include { MITOSIEVE_SELECT } from '../modules/mitosieve/select/main'

workflow {
    if (!params.input) {
        error "give a samplesheet: --input samplesheet.csv (columns sample,bam[,index])"
    }

    ch_bams = Channel
        .fromPath(params.input, checkIfExists: true)
        .splitCsv(header: true)
        .map { row ->
            if (!row.sample || !row.bam) {
                error "samplesheet ${params.input}: every row needs a sample and a bam"
            }
            def bam = file(row.bam, checkIfExists: true)
            def index = row.index ? file(row.index, checkIfExists: true) : []
            [ [ id: row.sample ], bam, index ]
        }
    ch_fasta = params.fasta
        ? Channel.value([ [ id: file(params.fasta).baseName ], file(params.fasta, checkIfExists: true) ])
        : Channel.value([ [ id: 'none' ], [] ])

    MITOSIEVE_COUNT(ch_bams, ch_fasta)

    // Gather: every counts file of the run in one call (MITOSIEVE_CALL puts the clones
    // in name order, whatever order they arrive in).
    ch_counts = MITOSIEVE_COUNT.out.counts
        .map { meta, counts -> counts }
        .flatten()
        .collect()
        .map { counts -> [ [ id: params.run_id ], counts ] }

    MITOSIEVE_CALL(
        ch_counts,
        params.targets ? file(params.targets, checkIfExists: true) : []
    )
    MITOSIEVE_SELECT(
        MITOSIEVE_CALL.out.json,
        params.policy ? file(params.policy, checkIfExists: true) : [],
        params.donor ? file(params.donor, checkIfExists: true) : []
    )

    MITOSIEVE_COUNT.out.versions
        .mix(MITOSIEVE_CALL.out.versions, MITOSIEVE_SELECT.out.versions)
        .map { it.text }
        .unique()
        .collectFile(name: 'versions.yml', storeDir: "${params.outdir}/pipeline_info", newLine: true)
}
