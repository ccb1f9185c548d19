/*
 * Task shapes for `make bench`, in assembly so that the first instruction is
 * exactly what each row of the table says it is.
 */
	.text

	/* push first: the kernel emulates it */
	.globl shape_push
	.type shape_push, @function
shape_push:
	push %rbp
	mov %rsp, %rbp
	lea 1(%rdi), %rax
	pop %rbp
	ret
	.size shape_push, .-shape_push

	/* -fcf-protection: endbr64 first, which is single-stepped */
	.globl shape_endbr
	.type shape_endbr, @function
shape_endbr:
	endbr64
	push %rbx
	lea 1(%rdi), %rax
	pop %rbx
	ret
	.size shape_endbr, .-shape_endbr

	/* lea first: single-stepped; a push follows */
	.globl shape_lea
	.type shape_lea, @function
shape_lea:
	lea 1(%rdi), %rax
	push %rbx
	mov %rax, %rbx
	pop %rbx
	ret
	.size shape_lea, .-shape_lea

	/* mov first and no instruction the kernel emulates anywhere */
	.globl shape_mov_leaf
	.type shape_mov_leaf, @function
shape_mov_leaf:
	mov %rdi, %rax
	add $1, %rax
	ret
	.size shape_mov_leaf, .-shape_mov_leaf

	.section .note.GNU-stack,"",@progbits
