process MITOSIEVE_COUNT {
    tag "$meta.id"
    label 'process_low'

    // mitosieve is not on Bioconda/BioContainers: put it on the PATH of the tasks
    // (`cargo install --path .`) or give a container with `process.container`.

    input:
    tuple val(meta), path(bam), path(index)
    tuple val(meta2), path(fasta)

    output:
    tuple val(meta), path("*.counts.tsv.gz"), emit: counts
    tuple val(meta), path("*.summary.json") , emit: summary
    tuple val(meta), path("*.split.json")   , emit: split, optional: true
    tuple val(meta), path("mitosieve.manifest.json"), emit: manifest, optional: true
    path "versions.yml"                     , emit: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    def args = task.ext.args ?: ''
    def reference_arg = fasta ? "--reference ${fasta}" : ''
    """
    mitosieve count \\
        $args \\
        $reference_arg \\
        --threads $task.cpus \\
        --outdir . \\
        $bam

    cat <<-END_VERSIONS > versions.yml
    "${task.process}":
        mitosieve: \$(mitosieve --version | sed 's/^mitosieve //')
    END_VERSIONS
    """

    stub:
    def prefix = task.ext.prefix ?: "${meta.id}"
    """
    echo | gzip > ${prefix}.counts.tsv.gz
    touch ${prefix}.summary.json

    cat <<-END_VERSIONS > versions.yml
    "${task.process}":
        mitosieve: \$(mitosieve --version | sed 's/^mitosieve //')
    END_VERSIONS
    """
}
